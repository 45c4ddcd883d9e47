"""Static SVG charts made with matplotlib, embeddable in HTML and PDF.

Shapes and line styles carry the meaning as well as colour, so the charts read
in black and white; every chart comes with a text alternative.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Monochrome-safe styles per series.
HATCHES = ["", "///", "...", "xxx"]
GREYS = ["#00558c", "#9ab8d0", "#5b6475", "#d0d5de"]


def _svg(fig: Figure) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prologue so it can be inlined


def _setup() -> None:
    """Headless, deterministic SVG output; call before importing pyplot."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9,
                                "svg.hashsalt": "c2c-monitor"})


def principle_rounds_chart(rounds: dict[str, dict[str, float | None]], titles: dict[str, str],
                           lang: str = "en") -> str:
    from c2c_monitor.render.i18n import Translator

    _ = Translator(lang)
    _setup()
    import matplotlib.pyplot as plt

    pids = list(titles)
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(pids) + 1.0))
    n = max(len(rounds), 1)
    height = 0.8 / n
    for k, (rid, scores) in enumerate(rounds.items()):
        ys = [i + k * height for i in range(len(pids))]
        xs = [(scores.get(p) or 0) for p in pids]
        ax.barh(ys, xs, height=height, left=0, color=GREYS[k % 4], hatch=HATCHES[k % 4], edgecolor="#1d2330",
                linewidth=0.5, label=rid)
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(pids))], [f"{p} {titles[p]}" for p in pids])
    ax.invert_yaxis()
    ax.set_xlim(1, 5)
    ax.set_xlabel(_("score (1 not in place – 5 in place, functioning)"))
    ax.legend(loc="lower right", frameon=False)
    ax.grid(axis="x", color="#d9dde5")
    ax.set_axisbelow(True)
    return _svg(fig)


def small_multiples(series: dict[str, list[tuple[str, float | None]]], end_values: dict[str, float],
                    labels: dict[str, str], columns: int = 3, lang: str = "en") -> str:
    from c2c_monitor.render.i18n import Translator

    _ = Translator(lang)
    _setup()
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from c2c_monitor.definitions.periods import parse_period

    keys = [k for k in series if any(v is not None for _, v in series[k])]
    if not keys:
        return ""
    rows = math.ceil(len(keys) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.0 * columns, 2.0 * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_visible(False)
    for ax, key in zip(axes.flat, keys, strict=False):
        ax.set_visible(True)
        pts = [(parse_period(p).decimal_year, v) for p, v in series[key] if v is not None]
        ax.plot([t for t, _ in pts], [v for _, v in pts], marker="o", markersize=3, color="#00558c", linewidth=1.2)
        ax.axhline(end_values[key], linestyle="--", color="#1d2330", linewidth=0.9)
        ax.text(0.99, end_values[key], _("2030 end value"), transform=ax.get_yaxis_transform(), ha="right",
                va="bottom", fontsize=7)
        ax.set_title(labels.get(key, key), fontsize=8, loc="left", wrap=True)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        if len(pts) == 1:
            ax.set_xlim(pts[0][0] - 1, pts[0][0] + 1)
        ax.tick_params(labelsize=7)
        ax.grid(color="#e6e9ef")
    fig.tight_layout()
    return _svg(fig)
