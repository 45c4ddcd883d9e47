"""Small inline SVG charts written by hand: fast enough for a thousand pages, and printable.

Each chart carries a <title> and an aria-label with its numbers, uses shape and
line style as well as colour, and scales with its container (viewBox only).
"""

from __future__ import annotations

from html import escape

from c2c_monitor.render.i18n import Translator

INK, MUTED = "#00558c", "#5b6475"


def _fmt(v: float) -> str:
    a = abs(v)
    return f"{v:,.0f}" if a >= 1000 else f"{v:.1f}" if a >= 10 else f"{v:.2f}"


def principle_rounds(principles: list[tuple[str, str]], rounds: list[str],
                     scores: dict[str, dict[str, float | None]], lang: str = "en") -> str:
    """Horizontal bars per principle, one per round (latest solid, earlier hatched), on the 1-5 scale."""
    _ = Translator(lang)
    rounds = rounds[-3:]
    # The left margin holds the id and about 30 characters of title at 11 units a line: 210 left a Portuguese
    # "P07 Desenvolvimento de capacidades" (wide letters, not cut) running into its bars.
    bar_h, gap, left, width = 9, 7, 236, 330
    row_h = bar_h * len(rounds) + gap
    height = 30 + row_h * len(principles) + 20
    x = lambda v: left + (v - 1) / 4 * width  # noqa: E731 (a tiny local scale)
    label_parts = []
    out = [f'<svg class="chart" viewBox="0 0 {left + width + 50} {height}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg" aria-labelledby="pr-title">',
           '<defs><pattern id="hatch" width="5" height="5" patternUnits="userSpaceOnUse" '
           f'patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/>'
           f'<line x1="0" y1="0" x2="0" y2="5" stroke="{MUTED}" stroke-width="2"/></pattern></defs>']
    for tick in range(1, 6):
        out.append(f'<line x1="{x(tick):.1f}" y1="22" x2="{x(tick):.1f}" y2="{height - 18}" stroke="#d9dde5"/>'
                   f'<text x="{x(tick):.1f}" y="16" font-size="10" text-anchor="middle" fill="{MUTED}">{tick}</text>')
    for i, (pid, title) in enumerate(principles):
        y0 = 26 + i * row_h
        # A title longer than 30 characters (most in fr/es/pt) is cut with an ellipsis, so that "Liens entre
        # zones rurales et u" does not read as the whole name.
        short = title if len(title) <= 30 else title[:29].rstrip() + "…"
        out.append(f'<text x="0" y="{y0 + bar_h * len(rounds) / 2 + 4:.1f}" font-size="11">'
                   f'{escape(pid)} {escape(short)}</text>')
        for j, r in enumerate(rounds):
            v = scores.get(r, {}).get(pid)
            y = y0 + j * bar_h
            latest = j == len(rounds) - 1
            if v is None:
                out.append(f'<text x="{left + 3}" y="{y + bar_h - 1}" font-size="9" fill="{MUTED}">'
                           + escape(_("%(round)s: no score", round=r)) + '</text>')
                continue
            fill = INK if latest else "url(#hatch)"
            out.append(f'<rect x="{left}" y="{y}" width="{max(x(v) - left, 1):.1f}" height="{bar_h - 1}" '
                       f'fill="{fill}" stroke="{INK if latest else MUTED}" stroke-width="0.6"/>'
                       f'<text x="{x(v) + 3:.1f}" y="{y + bar_h - 1}" font-size="9">{_.number(v, 1)}</text>')
            label_parts.append(f"{pid} {r} {_.number(v, 1)}")
    legend_y = height - 4
    for j, r in enumerate(rounds):
        latest = j == len(rounds) - 1
        lx = left + j * 110
        out.append(f'<rect x="{lx}" y="{legend_y - 8}" width="14" height="8" '
                   f'fill="{INK if latest else "url(#hatch)"}" stroke="{MUTED}" stroke-width="0.6"/>'
                   f'<text x="{lx + 18}" y="{legend_y}" font-size="10">'
                   + escape(_("round %(round)s", round=r)) + '</text>')
    title = _("Principle scores (1-5) by workshop round: ") + "; ".join(label_parts)
    out.insert(1, f'<title id="pr-title">{escape(title)}</title>')
    out.append("</svg>")
    return "".join(out)


def sparkline(series: list[tuple[str, float | None]], end_value: float, unit: str, label: str,
              uid: str, lang: str = "en") -> str:
    """A small line chart of one series with its 2030 end value as a dashed line."""
    _ = Translator(lang)
    fmt = _fmt if lang == "en" else lambda v: _.number(v, 0 if abs(v) >= 1000 else 1 if abs(v) >= 10 else 2)
    pts = [(p, v) for p, v in series if v is not None]
    w, h, pad = 220, 70, 8
    if not pts:
        return ""
    vals = [v for _, v in pts] + [end_value]
    lo, hi = min(vals), max(vals)
    if hi == lo:
        hi, lo = hi + 1, lo - 1
    n = len(pts)
    # Coordinates once, as text (a thousand pages draw twenty thousand of these).
    step = (w - 2 * pad - 40) / (n - 1) if n > 1 else 0.0
    x0 = pad + (0.0 if n > 1 else (w - 2 * pad - 40) * 0.5)
    scale = (h - 2 * pad - 10) / (hi - lo)
    xy = [(f"{x0 + i * step:.1f}", f"{h - pad - (v - lo) * scale:.1f}") for i, (_, v) in enumerate(pts)]
    ye = h - pad - (end_value - lo) * scale
    y_end = f"{ye:.1f}"
    path = "M" + " L".join(f"{x},{y}" for x, y in xy)
    end_word = _("2030 end value")
    desc = (f"{label}: " + ", ".join(f"{p} {fmt(v)}" for p, v in pts) + f"; {end_word} {fmt(end_value)}"
            + ("" if unit in ("percent", "yes/no") else f" {unit}"))
    sid = escape(uid)
    out = [f'<svg class="spark" viewBox="0 0 {w} {h}" role="img" xmlns="http://www.w3.org/2000/svg" '
           f'aria-labelledby="s-{sid}"><title id="s-{sid}">{escape(desc)}</title>',
           f'<line x1="{pad}" x2="{w - 40}" y1="{y_end}" y2="{y_end}" stroke="{MUTED}" '
           f'stroke-dasharray="4 3"/><text x="{w - 38}" y="{ye + 3:.1f}" font-size="9" '
           f'fill="{MUTED}">2030</text>',
           f'<path d="{path}" fill="none" stroke="{INK}" stroke-width="1.8"/>',
           "".join(f'<circle cx="{x}" cy="{y}" r="2.2" fill="{INK}"/>' for x, y in xy),
           f'<text x="{pad}" y="{h - 0.5}" font-size="8.5" fill="{MUTED}">{escape(pts[0][0])}</text>'
           f'<text x="{w - 40}" y="{h - 0.5}" font-size="8.5" fill="{MUTED}" text-anchor="end">'
           f'{escape(pts[-1][0])}</text></svg>']
    return "".join(out)
