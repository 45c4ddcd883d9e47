"""What every command shares: workspace options, opening the workspace, writing data, reporting findings.

Imported by every command module and importing none of them (no circle). Heavy libraries are imported
inside the functions so that `c2c --help` starts fast.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from c2c_monitor.store.atomic import check_target, replacing

FORMATS_SCOREBOARD = ["table", "json", "html", "csv"]


def workspace_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--wait", type=click.FloatRange(0, 3600), default=0.0, show_default=True,
                     help="Seconds to wait if another c2c process is using the workspace.")(f)
    f = click.option("--workspace", "-w", "workspace", envvar="C2C_WORKSPACE", type=click.Path(),
                     help="Workspace folder (or set C2C_WORKSPACE).")(f)
    return f


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
def opened(workspace: str | None, wait: float) -> Iterator[Any]:
    from c2c_monitor.store.workspace import open_workspace, resolve_dir

    with open_workspace(resolve_dir(workspace), wait=wait) as ws:
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
    click.echo(f"wrote {path}", err=True)


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
        self.bar.update(self.task, completed=done, description=what[:40])

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def show_rejected(findings: list, report: str | None) -> None:
    """A rejected input: the findings to --report, and the first fifty on standard error."""
    write_report(findings, report)
    for f in findings[:50]:
        click.echo(str(f), err=True)
    if len(findings) > 50:
        click.echo(f"... and {len(findings) - 50} more (see --report)", err=True)


def write_report(findings: list, report: str | None) -> None:
    if not report:
        return
    rows = [f.as_dict() for f in findings]
    if report.endswith(".json"):
        emit(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", report)
        return
    import csv
    import io

    from c2c_monitor.ingest.validate import FINDING_COLS
    from c2c_monitor.render.csv_export import safe_cell

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FINDING_COLS)
    w.writerows([safe_cell(r[c]) for c in FINDING_COLS] for r in rows)
    emit(buf.getvalue(), report)


def as_of_vintage(con: object, text: str | None) -> int | None:
    import datetime as dt

    from c2c_monitor.errors import C2CError
    from c2c_monitor.store.schema import vintage_for_date

    if text is None:
        return None
    if text.strip().isdigit():
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise C2CError(f"--as-of {text!r}: give a vintage id or a date (YYYY-MM-DD[ HH:MM])") from None
    if len(text.strip()) == 10:
        when = when + dt.timedelta(days=1) - dt.timedelta(microseconds=1)  # the whole day
    vid = vintage_for_date(con, when.isoformat(sep=" "))
    if vid == 0:
        raise C2CError(f"--as-of {text}: no data had been loaded by then")
    return vid
