"""Symbols that carry meaning without colour (the scoreboard must read in black and white)."""

LIGHT_SYMBOL = {"green": "●", "amber": "◐", "red": "○", "none": "·"}
LIGHT_WORD = {"green": "close to end value", "amber": "half way", "red": "far from end value", "none": "no data"}
TREND_SYMBOL = {
    "end value reached": "✔",
    "on track": "↑",
    "moderately improving": "↗",
    "stagnating": "→",
    "deteriorating": "↓",
    "not enough data": "?",
    "improving": "↑",
    "stable": "→",
    "no previous round": "–",
}


def fmt_value(v: float | None, unit: str) -> str:
    if v is None:
        return "–"
    if unit == "yes/no":
        return "yes" if v >= 0.5 else "no"
    a = abs(v)
    text = f"{v:,.0f}" if a >= 1000 else f"{v:.1f}" if a >= 10 else f"{v:.2f}"
    return text + ("%" if unit == "percent" else "")

STATUS_SYMBOL = {"open": "☐", "in progress": "◔", "done": "☑", "dropped": "✗"}
