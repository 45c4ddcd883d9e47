"""What every command shares: workspace options, opening the workspace, writing data, reporting findings.

Imported by every command module and importing none of them (no circle). Heavy libraries are imported
inside the functions so that `c2c --help` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from c2c_monitor.cli.messages import _, set_language
from c2c_monitor.definitions.languages import LANGUAGES
from c2c_monitor.errors import Report
from c2c_monitor.store.atomic import check_target, replacing

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

    from c2c_monitor.engine.evaluate import Backend
    from c2c_monitor.score.scoreboard import ListName, TargetKind
    from c2c_monitor.store.workspace import Workspace

FORMATS_SCOREBOARD = ["table", "json", "html", "csv"]
FORMATS_LISTING = ["table", "json", "csv"]  # every listing: the table for people, JSON and CSV for machines

# Option values that later stages take as Literal types: the keys are the click choices, and the values
# are checked by mypy against those types, so a choice and its type cannot drift apart.
LIST_NAMES: dict[str, ListName] = {"simplified": "simplified", "long": "long"}
TARGETS: dict[str, TargetKind] = {"harmonised": "harmonised", "local": "local"}
BACKENDS: dict[str, Backend] = {"duckdb": "duckdb", "polars": "polars"}


def workspace_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--wait", type=click.FloatRange(0, 3600), default=0.0, show_default=True,
                     help="Seconds to wait if another c2c process is using the workspace.")(f)
    f = click.option("--workspace", "-w", "workspace", envvar="C2C_WORKSPACE", type=click.Path(),
                     help="Workspace folder (or set C2C_WORKSPACE).")(f)
    return f



def _one_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if value not in LANGUAGES:
        raise click.BadParameter(_("%(value)s is not one of %(known)s", value=repr(value), known=", ".join(LANGUAGES)))
    set_language(value, explicit=True)
    return value


def _languages(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    langs = list(dict.fromkeys(x.strip().lower() for x in value.split(",") if x.strip()))
    bad = [x for x in langs if x not in LANGUAGES]
    if bad or not langs:
        raise click.BadParameter(_("%(value)s is not one of %(known)s", value=repr(value), known=", ".join(LANGUAGES)))
    set_language(langs[0], explicit=True)
    return langs


def lang_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """`--lang fr`: the language of an output for people (and of the command's messages)."""
    return click.option("--lang", "lang", callback=_one_language, metavar="LANG",
                        help="Language of the output: en, fr, es or pt (default: `language` in c2c.toml).")(f)


def langs_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """`--lang fr,en`: several languages, the first one first (a bilingual kit, a site in two languages)."""
    return click.option("--lang", "langs", callback=_languages, metavar="LANG[,LANG...]",
                        help="Language(s) of the output, comma-separated, the first one first: en, fr, es, pt "
                             "(default: `language` in c2c.toml).")(f)


# What the running command reads: its workspace folder and input files. Set by `guard`, checked again by
# `emit` (every data file goes through it) so that no path that writes can skip the check.
_GUARDED: dict[str, Any] = {"root": None, "inputs": ()}


def guard(target: str | None, workspace: str | None = None, inputs: Iterable[str | None] = ()) -> None:
    """Refuse, before any work, an output that is the workspace's store or folder or one of the inputs.

    The workspace is the one the command would open (--workspace, else C2C_WORKSPACE); a command without
    a workspace still checks C2C_WORKSPACE, the one a careless `-o` is most likely to hit.
    """
    import os

    root = workspace or os.environ.get("C2C_WORKSPACE") or None
    _GUARDED["root"] = Path(root).expanduser() if root else None
    _GUARDED["inputs"] = tuple(i for i in inputs if i)
    check_target(target, _GUARDED["root"], _GUARDED["inputs"])


@contextmanager
def opened(workspace: str | None, wait: float) -> Iterator[Workspace]:
    from c2c_monitor.store.workspace import open_workspace, resolve_dir

    with open_workspace(resolve_dir(workspace), wait=wait) as ws:
        set_language(ws.config.language)  # the messages follow the workspace's language unless --lang
        yield ws


def emit(text: str, output: str | None) -> None:
    """Data to stdout, or atomically to a file (written beside it, then renamed)."""
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    path = Path(output)
    check_target(path, _GUARDED["root"], _GUARDED["inputs"])
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    click.echo(_("wrote %(path)s", path=path), err=True)


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """A listing as CSV through the one cell rule of every writer (`store/cells.csv_text`); booleans are
    written true/false as in the CSV that polars writes for the other listings."""
    from c2c_monitor.store import cells

    return cells.csv_text([header, *([("true" if x else "false") if isinstance(x, bool) else x for x in row]
                                     for row in rows)])


def json_text(data: object) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


class LazyProgress:
    """A progress bar on stderr that appears only once work has taken over a second (and never when quiet)."""

    def __init__(self, enabled: bool) -> None:
        import time

        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def update(self, done: int, total: int, what: str) -> None:
        import time

        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.start < 1.0:
                return
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("ingest", total=total)
        from rich.markup import escape

        # A file's name is shown as it is: rich would read `[...]` in it as markup (render/console).
        self.bar.update(self.task, completed=done, description=escape(what[:40]))

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def show_rejected(report: Report, path: str | None) -> None:
    """A rejected input: the report to --report, and its first fifty findings on standard error."""
    write_report(report, path)
    for f in report.findings[:50]:
        click.echo(str(f), err=True)
    if len(report) > 50:
        click.echo(_("... and %(n)s more (see --report)", n=len(report) - 50), err=True)


def write_report(report: Report, path: str | None) -> None:
    """The run's report to --report FILE (JSON for .json, else CSV): the same shape for every command."""
    if path:
        emit(report.render(path), path)


def as_of_vintage(con: DuckDBPyConnection, text: str | None) -> int | None:
    """--as-of as a vintage id: an id that exists, or the last vintage loaded by a date; anything else is
    refused with the range the workspace holds (a silently accepted `--as-of 99` read "everything")."""
    import datetime as dt

    from c2c_monitor.errors import C2CError
    from c2c_monitor.store.reads import vintage_exists, vintage_span
    from c2c_monitor.store.schema import vintage_for_date

    if text is None:
        return None
    span = vintage_span(con)
    have = ("the workspace has no vintages yet" if span is None else
            f"vintages {span[0]}–{span[1]}, loaded {span[2]:%Y-%m-%d %H:%M} to {span[3]:%Y-%m-%d %H:%M} "
            "(see `c2c data history`)")
    if text.strip().isdigit():
        vid = int(text)
        if not vintage_exists(con, vid):
            raise C2CError(f"--as-of {text.strip()}: no such vintage; {have}")
        return vid
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise C2CError(_("--as-of %(text)s: give a vintage id or a date (YYYY-MM-DD[ HH:MM])",
                         text=repr(text)) + f"; {have}") from None
    if len(text.strip()) == 10:
        when = when + dt.timedelta(days=1) - dt.timedelta(microseconds=1)  # the whole day
    vid = vintage_for_date(con, when.isoformat(sep=" "))
    if vid == 0:
        raise C2CError(_("--as-of %(text)s: no data had been loaded by then", text=text) + f"; {have}")
    return vid
