"""The command tree: every command, loaded from its module on first use, and the exit codes of `main`.

Maps the library's named exceptions to one-line messages and exit codes (0 success, 1 findings, 2 usage or
input error). `python -m c2c_monitor.cli` and the preloaded workers run `main`; the `c2c` script runs it
through `c2c_monitor.cli.entry`.
"""

from __future__ import annotations

import importlib
import sys

import click

# Each command's module and the name it is defined under. A command's module is imported only when that command
# runs (or when help lists the commands): `c2c assess` does not pay for the workshop, map or publish modules
# (issue 19: the command tree's imports were a fifth of an assessment's start-up).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("workspace", "init"),
    "demo": ("workspace", "demo_cmd"),
    "partnerships": ("workspace", "partnerships"),
    "assess": ("assess", "assess"),
    "ingest": ("ingest", "ingest"),
    "workshop": ("workshop", "workshop"),
    "records": ("records", "records"),
    "data": ("ingest", "data"),
    "compare": ("compare", "compare"),
    "explain": ("catalog", "explain"),
    "schema": ("assess", "schema"),
    "catalog": ("catalog", "catalog"),
    "publish": ("publish", "publish"),
    "export": ("export", "export"),
    "map": ("map", "map_group"),
    "programme": ("programme", "programme"),
    "preload": ("preload", "preload"),
}


class LazyGroup(click.Group):
    """The command tree, each command loaded from its module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attr = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"c2c_monitor.cli.{module}"), attr)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="c2c-monitor", prog_name="c2c")
def cli() -> None:
    """Monitoring and evaluation of city-to-city partnerships.

    Self-assessment against the ten G20 Rome principles and SDG indicators
    (simplified and long lists) read as the distance to 2030 end values.
    """
    from c2c_monitor.cli import messages

    messages.reset()  # each command starts in the default language (many run in one test process)


def main() -> None:
    from c2c_monitor.errors import C2CError

    try:
        # prog_name fixed: `python -m c2c_monitor.cli` says "c2c" too, and shell completion reads _C2C_COMPLETE.
        cli.main(prog_name="c2c", standalone_mode=False)
    except click.exceptions.Abort:
        from c2c_monitor.cli.messages import _

        click.echo(_("aborted"), err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except C2CError as exc:
        from c2c_monitor.cli.messages import error_line

        click.echo(error_line(exc.message, exc.hint), err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:  # a folder that is a file, a read-only disk, a full disk: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"c2c: error: {where}{exc.strerror or exc}", err=True)
        sys.exit(2)
    except Exception as exc:
        import duckdb

        if isinstance(exc, duckdb.Error):
            click.echo(f"c2c: error: workspace store: {exc}".splitlines()[0], err=True)
            sys.exit(2)
        raise
    sys.exit(0)

