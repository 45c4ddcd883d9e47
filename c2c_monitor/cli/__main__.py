"""`python -m c2c_monitor.cli`: the same as the `c2c` command, run in this process (never handed to a preloaded
worker: the tests run the command line this way)."""

from c2c_monitor.cli import run_here

run_here()
