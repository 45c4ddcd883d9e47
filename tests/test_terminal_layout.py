"""The terminal scoreboard's tables fit 100 cells without rich squeezing a column or cutting a header.

Rich collapses columns when their widths, padding and dividers add up to more than the table's width: the
1-cell light-symbol column (the board must read in black and white) then vanished, and headers came out as
"Sc…". Checked on every demo partnership in the four languages, plus a board with partner types, local
indicators and long texts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len

from c2c_monitor.render.i18n import Translator
from c2c_monitor.render.symbols import LIGHT_SYMBOL

LANGS = ["en", "fr", "es", "pt"]
WIDTH = 100


@pytest.fixture(scope="module")
def boards(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list]:
    import shutil

    from c2c_monitor.score.assess import build_scoreboards
    from c2c_monitor.store.workspace import open_workspace

    root = tmp_path_factory.mktemp("terminal") / "ws"
    shutil.copytree(demo_ws, root)
    with open_workspace(root) as ws:
        ids = [r[0] for r in ws.con.execute("SELECT partnership_id FROM partnerships ORDER BY 1").fetchall()]
        yield ws, build_scoreboards(ws, ids)


def _localised(ws: object, sb: object, lang: str) -> object:
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.render.localise import localise_scoreboard
    from c2c_monitor.score.assess import workspace_catalogue

    return localise_scoreboard(sb, lang, load_framework(), workspace_catalogue(ws))  # type: ignore[arg-type]


def _tables(text: str) -> dict[str, tuple[str, list[str]]]:
    """Title line -> (header line, body lines) of every table (SIMPLE_HEAD: a rule under the header)."""
    lines = text.splitlines()
    out: dict[str, tuple[str, list[str]]] = {}
    for i, line in enumerate(lines):
        if set(line.strip()) == {"─"}:
            # title, a blank line under it, the header, the rule; the body runs to the next blank line
            title = lines[i - 3].strip()
            body = []
            for row in lines[i + 1:]:
                if not row.strip():
                    break
                body.append(row)
            out[title] = (lines[i - 1], body)
    return out


def _check(text: str, sb: object, lang: str) -> None:
    _ = Translator(lang)
    assert all(cell_len(line) <= WIDTH for line in text.splitlines()), max(text.splitlines(), key=cell_len)
    tables = _tables(text)
    assert tables, text
    for title, (header, _body) in tables.items():
        assert "…" not in header, (title, header)
    headers = {
        _("City indicators (SDG outcomes)"): ["Indicator", "City", "Value", "Period", "Score", "Trend"],
        _("Partnership indicators"): ["Indicator", "Value", "Period", "Score", "Trend"],
    }
    principles = next(t for t in tables if t.startswith(_("G20 principles — workshop round %(round)s",
                                                              round="")[:12]))
    headers[principles] = ["Principle", "Score 1–5", "Answered", "Trend", "Disagree"]
    for family, heading in (("city", _("City indicators (SDG outcomes)")), ("partnership",
                                                                            _("Partnership indicators"))):
        rows = [r for r in sb.indicators if r.family == family]  # type: ignore[attr-defined]
        if not rows:
            continue
        # Each row starts with its light's symbol, in the scoreboard's order: none squeezed out.
        body = tables[heading][1]
        assert [line.split()[0] for line in body] == [LIGHT_SYMBOL[r.light] for r in rows], "\n".join(body)
    for title, words in headers.items():
        header = tables[title][0]
        for word in words:
            # Whole on the header line: neither cut nor wrapped onto a second line.
            assert _(word) in header, (title, _(word), header)


@pytest.mark.parametrize("lang", LANGS)
def test_every_demo_board_keeps_its_symbols_and_headers(boards: tuple, lang: str) -> None:
    from c2c_monitor.render.terminal import render_terminal

    ws, sbs = boards
    assert sbs
    for sb in sbs:
        lsb = _localised(ws, sb, lang)
        _check(render_terminal(lsb, color=False, lang=lang), lsb, lang)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", LANGS)
def test_long_texts_partner_types_and_local_indicators_fit(boards: tuple, lang: str) -> None:
    """The tables the demo leaves out (partner types, local indicators), and texts longer than any column:
    they are cut with "…", never pushing the symbol column or a header out."""
    from c2c_monitor.definitions.process import load_partner_types
    from c2c_monitor.render.terminal import render_terminal
    from c2c_monitor.score.scoreboard import LocalIndicatorRow

    ws, sbs = boards
    sb = next(s for s in sbs if s.groups)
    kinds = [k.id for k in load_partner_types().types]
    long = "Very long " * 20
    local = [LocalIndicatorRow(city_id=c.id, city_name=c.name + " " + long, code="L1", title=long, unit="%",
                               polarity="higher", target_2030=123456.0, value=98765.4321, period="2024-Q4",
                               baseline=1.0, baseline_period="2020", progress=99.0, source=None, vintage_id=None)
             for c in sb.partnership.cities]
    lsb = _localised(ws, sb, lang).model_copy(update={  # type: ignore[attr-defined]
        "partner_types": [g.model_copy(update={"group": kinds[i % len(kinds)]}) for i, g in enumerate(sb.groups)],
        "local_indicators": local,
        "indicators": [r.model_copy(update={"title": long, "city_name": r.city_name and r.city_name + long})
                       for r in sb.indicators],
    })
    text = render_terminal(lsb, color=False, lang=lang)
    _check(text, lsb, lang)
    _ = Translator(lang)
    tables = _tables(text)
    assert any(t.startswith(_("Partner types (≥ %(n)s people; built from the groups above)", n=3)[:10])
               for t in tables), text
    # The local indicators' table speaks the scoreboard's language too (its title and headers were English only).
    local_title = _("Local indicators (each city's own series: read against its own 2030 target, not compared)")
    local_table = next(v for t, v in tables.items() if t.startswith(local_title[:15]))
    if lang != "en":
        assert "Local indicators" not in text and not re.search(r"\bProgress\b", text)
        assert _("Progress") in local_table[0]
    assert len(local_table[1]) == len(local)
    assert all("99%" in row for row in local_table[1])  # the progress column, last, still shows
