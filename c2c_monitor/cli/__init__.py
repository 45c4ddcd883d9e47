"""Stage 9, the command line: one module per command group, each a thin layer over one library function.

Each command module imports `context` (shared options and helpers) and the library; none imports another
command module or this one, so there is no circle. This module assembles the tree and maps the library's
named exceptions to one-line messages and exit codes (0 success, 1 findings, 2 usage or input error).
May import: every stage.
"""

from __future__ import annotations

import sys

import click

from c2c_monitor.cli import (
    assess,
    catalog,
    compare,
    export,
    ingest,
    programme,
    publish,
    records,
    workshop,
    workspace,
)
from c2c_monitor.cli import map as map_cmd  # the module is named after its command; `map` stays the builtin here


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="c2c-monitor", prog_name="c2c")
def cli() -> None:
    """Monitoring and evaluation of city-to-city partnerships.

    Self-assessment against the ten G20 Rome principles and SDG indicators
    (simplified and long lists) read as the distance to 2030 end values.
    """
    from c2c_monitor.cli import messages

    messages.reset()  # each command starts in the default language (many run in one test process)


cli.add_command(workspace.init)
cli.add_command(workspace.demo_cmd)
cli.add_command(workspace.partnerships)
cli.add_command(assess.assess)
cli.add_command(ingest.ingest)
cli.add_command(workshop.workshop)
cli.add_command(records.records)
cli.add_command(ingest.data)
cli.add_command(compare.compare)
cli.add_command(catalog.explain)
cli.add_command(assess.schema)
cli.add_command(catalog.catalog)
cli.add_command(publish.publish)
cli.add_command(export.export)
cli.add_command(map_cmd.map_group)
cli.add_command(programme.programme)


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

