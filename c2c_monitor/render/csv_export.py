"""CSV export of a scoreboard; cells that a spreadsheet would run as a formula are neutralised."""

from __future__ import annotations

import io

# The rule lives with the report (errors.py) and the writers' helpers (store/cells.py), which every stage
# may import; render keeps the names it has always exported.
from c2c_monitor.errors import SafeWriter
from c2c_monitor.score.scoreboard import Scoreboard
from c2c_monitor.store.cells import safe_cell, safe_expr

__all__ = ["render_csv", "safe_cell", "safe_expr"]


def render_csv(sb: Scoreboard) -> str:
    out = io.StringIO()
    w = SafeWriter(out)  # cells neutralised; a row with a carriage return quoted
    w.writerow(["partnership_id", "section", "id", "title", "city", "period", "value", "unit",
                "score", "distance", "light", "trend", "end_value", "target_kind", "coverage",
                "missing_reason", "vintage_id"])
    pid = sb.partnership.id
    for p in sb.principles:
        w.writerow([safe_cell(x) for x in [pid, "principle", p.id, p.title, "", sb.round_id or "",
                                           p.score, "1-5", "", "", "", p.trend, "", "", p.coverage,
                                           p.status if p.score is None else "", ""]])
    for r in sb.indicators:
        w.writerow([safe_cell(x) for x in [pid, "indicator", r.id, r.title, r.city_name or "",
                                           r.period or "", r.value, r.unit, r.score, r.distance,
                                           r.light, r.trend, r.end_value, r.target_kind, r.coverage,
                                           r.missing_reason or "", r.vintage_id]])
    for g in sb.groups:
        w.writerow([safe_cell(x) for x in [pid, "group", g.principle_id, g.group, "", sb.round_id or "", g.score,
                                           "1-5", "", "", "", "", "", "", g.n_participants, "", ""]])
    for a in sb.actions:
        w.writerow([safe_cell(x) for x in [pid, "action", a.id, a.text, a.owner or "", a.due or "", "", "", "",
                                           "", "", a.status, "", "", "", "overdue" if a.overdue else "", ""]])
    return out.getvalue()
