"""The partner cities' local indicators for a scoreboard: their latest value and progress to their own target.

Local indicators are a city's own series (issue 15). They are never scored against the catalogue's end values,
never aggregated and never compared between cities: each is read only against the city's own 2030 target,
as the share of the way covered from its first value, and only when the metadata gave a direction and a target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from c2c_monitor.score.scoreboard import LocalIndicatorRow, PartnershipInfo
from c2c_monitor.store import reads

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


def progress(polarity: str | None, target: float | None, baseline: float | None, latest: float | None
             ) -> float | None:
    """0-100: how far `latest` has moved from `baseline` towards `target` in the direction that improves."""
    if polarity not in ("higher", "lower") or target is None or baseline is None or latest is None:
        return None
    sign = 1.0 if polarity == "higher" else -1.0
    if sign * (latest - target) >= 0:
        return 100.0  # target reached
    if sign * (target - baseline) <= 0:
        return 0.0  # the start was already past the target and the city has fallen back behind it
    share = (latest - baseline) / (target - baseline)
    return round(100.0 * min(1.0, max(0.0, share)), 1)


def _row(d: dict[str, Any], names: dict[str, str]) -> LocalIndicatorRow:
    values = [(p, v) for p, v in d["series"] if v is not None]
    first, last = (values[0], values[-1]) if values else ((None, None), (None, None))
    pol = d["polarity"] if d["polarity"] in ("higher", "lower") else None
    return LocalIndicatorRow(
        city_id=d["city_id"], city_name=names.get(d["city_id"]), code=d["code"], title=d["title"], unit=d["unit"],
        polarity=pol, target_2030=d["target_2030"], value=last[1], period=last[0],
        baseline=first[1] if len(values) > 1 else None, baseline_period=first[0] if len(values) > 1 else None,
        progress=progress(pol, d["target_2030"], first[1] if len(values) > 1 else None, last[1]),
        source=d["source"], vintage_id=d["vintage_id"], series=d["series"])


def local_rows(con: DuckDBPyConnection, info: PartnershipInfo, as_of: int | None) -> list[LocalIndicatorRow]:
    return local_rows_many(con, [info], as_of)[info.id]


def local_rows_many(con: DuckDBPyConnection, infos: Sequence[PartnershipInfo],
                    as_of: int | None) -> dict[str, list[LocalIndicatorRow]]:
    """`local_rows` of several partnerships from one read of all their cities: id -> rows, by city and code."""
    found = reads.local_indicators(con, sorted({c.id for info in infos for c in info.cities}), as_of)
    by_city: dict[str, list[dict[str, Any]]] = {}
    for d in found:  # already ordered by city and code
        by_city.setdefault(d["city_id"], []).append(d)
    out = {}
    for info in infos:
        names = {c.id: c.name for c in info.cities}
        out[info.id] = [_row(d, names) for city in sorted(names) for d in by_city.get(city, [])]
    return out
