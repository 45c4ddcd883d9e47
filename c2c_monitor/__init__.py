"""c2c-monitor: monitoring and evaluation of city-to-city partnerships."""

__version__ = "0.1.0"
