"""`python -m c2c_monitor.cli`: the same as the `c2c` command."""

from c2c_monitor.cli import main

main()
