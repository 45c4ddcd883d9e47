"""The step of the City Partnerships process (seed 000) a partnership reached, recorded with its date.

Every record is a version: the current stage is the latest one, and the earlier ones stay as the history
(a partnership that starts a new project goes back to step 2, as the process foresees).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl

from c2c_monitor.definitions.process import Step, load_steps
from c2c_monitor.errors import C2CError, UnknownPartnership
from c2c_monitor.store import reads
from c2c_monitor.store.schema import insert_frame, new_vintage, transaction

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


def find_step(text: str) -> Step:
    """A step by its number or id; an unknown one is an error that lists the eight."""
    steps = load_steps()
    step = steps.find(text)
    if step is None:
        known = "; ".join(f"{s.step} {s.id}" for s in steps.steps)
        raise C2CError(f"unknown stage {text!r}", hint=f"the steps of the City Partnerships process are: {known}")
    return step


def record_stage(con: DuckDBPyConnection, pid: str, step_text: str, reached_on: dt.date | None,
                 note: str | None = None, today: dt.date | None = None) -> tuple[Step, int]:
    """Record that `pid` reached a step on a date (default today); returns the step and the vintage."""
    if reads.partnership_row(con, pid) is None:
        raise UnknownPartnership(f"unknown partnership {pid!r}", hint="see `c2c partnerships`")
    step = find_step(step_text)
    today = today or dt.date.today()
    on = reached_on or today
    if on > today:
        raise C2CError(f"--on {on.isoformat()}: a step is recorded once it is reached, not in advance")
    if on.year < 1990:
        raise C2CError(f"--on {on.isoformat()}: before any city partnership of this programme")
    with transaction(con):
        vid = new_vintage(con, "stage", f"c2c partnerships stage {pid} {step.step}", None, 1, note)
        insert_frame(con, "stages", pl.DataFrame(
            [{"partnership_id": pid, "step": step.step, "reached_on": on, "note": note, "vintage_id": vid}],
            schema={"partnership_id": pl.String, "step": pl.Int32, "reached_on": pl.Date, "note": pl.String,
                    "vintage_id": pl.Int64}))
    return step, vid
