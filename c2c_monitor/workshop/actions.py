"""Follow-up actions agreed in a workshop: recorded per principle, updated as new versions, never overwritten."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import polars as pl

from c2c_monitor.definitions.actions import ACTION_STATUSES
from c2c_monitor.definitions.principles import Framework
from c2c_monitor.errors import C2CError
from c2c_monitor.score.assess import action_rows, partnership_info
from c2c_monitor.score.scoreboard import ActionRow
from c2c_monitor.store import reads
from c2c_monitor.store.schema import insert_frame, new_vintage, transaction

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


def _write(con: DuckDBPyConnection, row: dict[str, Any], source: str) -> int:
    with transaction(con):
        vid = new_vintage(con, "action", source, None, 1)
        insert_frame(con, "actions", pl.DataFrame([{**row, "vintage_id": vid}], schema={
            "action_id": pl.String, "partnership_id": pl.String, "principle_id": pl.String, "round_id": pl.String,
            "text": pl.String, "owner": pl.String, "due": pl.Date, "status": pl.String, "vintage_id": pl.Int64}))
    return vid


def _check_status(status: str) -> None:
    if status not in ACTION_STATUSES:
        raise C2CError(f"status {status!r} is not one of: {', '.join(ACTION_STATUSES)}")


def add_action(con: DuckDBPyConnection, fw: Framework, pid: str, principle_id: str, text: str, owner: str | None,
               due: dt.date | None, round_id: str | None, status: str = "open") -> str:
    partnership_info(con, pid)
    if principle_id not in {p.id for p in fw.principles}:
        raise C2CError(f"unknown principle {principle_id!r}", hint="principles are P01 ... P10")
    if not text.strip():
        raise C2CError("an action needs a text")
    _check_status(status)
    if round_id is not None and not reads.round_exists(con, pid, round_id):
        raise C2CError(f"partnership {pid!r} has no workshop round {round_id!r}")
    existing = reads.action_ids(con, pid)
    k = len(existing) + 1
    while f"{pid}-A{k}" in existing:
        k += 1
    action_id = f"{pid}-A{k}"
    _write(con, {"action_id": action_id, "partnership_id": pid, "principle_id": principle_id, "round_id": round_id,
                 "text": text.strip(), "owner": owner, "due": due, "status": status},
           f"c2c workshop action add {action_id}")
    return action_id


def update_action(con: DuckDBPyConnection, action_id: str, status: str | None, owner: str | None, due: dt.date | None,
                  text: str | None) -> ActionRow:
    pid = reads.action_partnership(con, action_id)
    if pid is None:
        raise C2CError(f"unknown action {action_id!r}", hint="see `c2c workshop actions PARTNERSHIP`")
    current = next(a for a in action_rows(con, pid, None) if a.id == action_id)
    if status is not None:
        _check_status(status)
    if text is not None and not text.strip():
        raise C2CError("an action needs a text")
    new = {"action_id": action_id, "partnership_id": pid, "principle_id": current.principle_id,
           "round_id": current.round_id, "text": (text or current.text).strip(),
           "owner": owner if owner is not None else current.owner,
           "due": due or (dt.date.fromisoformat(current.due) if current.due else None),
           "status": status or current.status}
    _write(con, new, f"c2c workshop action set {action_id}")
    return next(a for a in action_rows(con, pid, None) if a.id == action_id)
