"""The state of one live round, rebuilt from its journal: devices, their answers, open / revealed / closed.

Devices are known by the SHA-256 of their cookie token, so the journal on disk holds no usable cookie.
A participant's code (`LIVE-001`, ...) is given in join order; answers are keyed by (device, question) and
the newest one wins, as in the store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from c2c_monitor.definitions.principles import Framework
from c2c_monitor.workshop.live.journal import Journal

PHASES = ("waiting", "open", "closed")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Device:
    code: str
    lang: str
    group: str | None
    city: str | None
    answers: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # question -> (answer, comment)
    removed: bool = False


@dataclass
class RoundState:
    framework: Framework
    journal: Journal
    phase: str = "waiting"
    revealed: bool = False
    devices: dict[str, Device] = field(default_factory=dict)  # token hash -> device
    vintage_id: int | None = None

    @classmethod
    def load(cls, framework: Framework, journal: Journal) -> RoundState:
        st = cls(framework, journal)
        for ev in journal.replay():
            st._apply(ev)
        return st

    # --- events: every change goes through record(), which journals it before applying it -------------------
    def record(self, event: dict[str, Any]) -> None:
        self.journal.append(event)
        self._apply(event)

    async def record_durably(self, event: dict[str, Any]) -> None:
        """As `record`, from the event loop: returns once the event is on disk, sharing fsyncs with others.

        The event is applied at once, in the order it was written, so the file and the state never disagree
        on order; a crash before the fsync loses only events whose requests were never answered.
        """
        seq = self.journal.write(event)
        self._apply(event)
        await self.journal.durable(seq)

    def _apply(self, ev: dict[str, Any]) -> None:
        kind = ev.get("t")
        if kind == "join":
            self.devices[ev["device"]] = Device(ev["code"], ev["lang"], ev.get("group"), ev.get("city"))
        elif kind == "profile" and ev["device"] in self.devices:
            d = self.devices[ev["device"]]
            d.lang, d.group, d.city = ev["lang"], ev.get("group"), ev.get("city")
        elif kind == "answers" and ev["device"] in self.devices:
            d = self.devices[ev["device"]]
            for qid, answer, comment in ev["answers"]:
                if answer is None:
                    d.answers.pop(qid, None)
                else:
                    d.answers[qid] = (answer, comment)
        elif kind == "remove":
            for d in self.devices.values():
                if d.code == ev["code"]:
                    d.removed = True
        elif kind == "phase":
            self.phase = ev["phase"]
            self.vintage_id = ev.get("vintage_id", self.vintage_id)
        elif kind == "reveal":
            self.revealed = bool(ev["on"])

    # --- reads ---------------------------------------------------------------------------------------------
    def next_code(self) -> str:
        # Upper case already: the store compares participant codes trimmed and upper-cased (a sheet's p01 is P01).
        return f"LIVE-{len(self.devices) + 1:03d}"

    def active(self) -> list[Device]:
        return [d for d in self.devices.values() if not d.removed]

    def device(self, thash: str | None) -> Device | None:
        d = self.devices.get(thash) if thash else None
        return d if d is not None and not d.removed else None

    def finished(self) -> dict[str, int]:
        """Per principle: how many active participants answered every question of it (counts only)."""
        out = {}
        for p in self.framework.principles:
            qids = [q.id for q in p.questions]
            out[p.id] = sum(1 for d in self.active() if all(q in d.answers for q in qids))
        return out

    def ratings_frame(self) -> pl.DataFrame:
        """The active participants' answers in the columns of the store's `ratings` table (no keys)."""
        rows = [(d.code, d.group, d.city, qid, ans, int(ans) if ans.isdigit() else None, comment)
                for d in self.active() for qid, (ans, comment) in sorted(d.answers.items())]
        return pl.DataFrame(rows, schema={"participant_code": pl.String, "stakeholder_group": pl.String,
                                          "city_id": pl.String, "question_id": pl.String, "answer": pl.String,
                                          "rating": pl.Int32, "comment": pl.String}, orient="row")
