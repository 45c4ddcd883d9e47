"""Stage 9, the command line: one module per command group, each a thin layer over one library function.

`tree` assembles the commands and their exit codes; no command module imports another, `tree` or this one.
This module imports the standard library only: the `c2c` script (`entry`) first offers the command to a
preloaded process (`preload_client`), and loads click and the tree only to run the command itself.
May import: every stage.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing itself is not imported: see preload_client
if TYPE_CHECKING:
    from typing import Any

    from c2c_monitor.cli.tree import COMMANDS, LazyGroup, cli, main

__all__ = ["COMMANDS", "LazyGroup", "cli", "entry", "main", "run_here"]


def entry() -> None:
    """The `c2c` script: in a preloaded worker when `c2c preload start` left one waiting, else in this process
    (`one_command` says how it starts and ends)."""
    from c2c_monitor.cli.preload_client import run_preloaded

    code = run_preloaded(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    run_here()


def run_here() -> None:
    """The command in this process (`python -m c2c_monitor.cli` too), started and ended as `one_command` says."""
    from c2c_monitor.cli.one_command import collector_off_at_start, end, run_command

    collector_off_at_start()
    from c2c_monitor.cli.tree import main

    end(run_command(main))


def __getattr__(name: str) -> Any:
    """`from c2c_monitor.cli import cli, main` as before the tree moved to its own module, loaded on use."""
    if name in ("COMMANDS", "LazyGroup", "cli", "main"):
        from c2c_monitor.cli import tree

        return getattr(tree, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
