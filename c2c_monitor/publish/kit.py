"""`c2c workshop kit`: the printed workshop material, as PDFs.

Agenda, worksheets (A4) and the blank scoreboard poster (A3 landscape) need
only the definitions; the results handout needs a round's ratings and is made
from the same Scoreboard as every other output, so it can only print aggregates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jinja2 import Environment
from pydantic import BaseModel, Field, ValidationError

from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.definitions.principles import Text, load_framework
from c2c_monitor.definitions.rules import RULES
from c2c_monitor.definitions.yamlload import YamlSyntaxError, load_yaml
from c2c_monitor.errors import DefinitionError, Finding
from c2c_monitor.publish.kit_pages import AgendaPage, AgendaRow, HandoutPage, KitPage, PosterPage, WorksheetsPage
from c2c_monitor.publish.pdf import write_pdf
from c2c_monitor.render.html import environment, render_page
from c2c_monitor.render.localise import localise_scoreboard
from c2c_monitor.score.assess import build_scoreboard, partnership_info
from c2c_monitor.score.scoreboard import Scoreboard
from c2c_monitor.store.workspace import Workspace


class AgendaItem(BaseModel):
    minutes: int = Field(ge=1, le=480)
    title: Text
    note: Text | None = None


class KitText(BaseModel):
    start: str = Field(pattern=r"^\d{2}:\d{2}$")
    agenda: list[AgendaItem] = Field(min_length=1)
    labels: dict[str, Text]


def load_kit_text(folder: Path | None = None) -> KitText:
    path = (folder or definitions_dir("workshops")) / "kit.yaml"
    try:
        data, lines = load_yaml(path)
        return KitText.model_validate(data)
    except YamlSyntaxError as exc:
        raise DefinitionError([exc.finding]) from None
    except ValidationError as exc:
        findings = []
        for err in exc.errors():
            field = ".".join(str(x) for x in err["loc"])
            findings.append(Finding("kit", str(path), err["msg"], lines.get(tuple(err["loc"])) if lines else None,
                                    field))
        raise DefinitionError(findings) from None


def kit_environment(lang: str = "en") -> Environment:
    # RULES is no longer a global of this (cached, shared) environment: the handout's model carries it.
    return environment(definitions_dir("workshops") / "templates", lang=lang)


def kit_languages(ws: Workspace, pid: str, langs: list[str] | None) -> list[str]:
    """`--lang` as given, else the partner city's language (c2c.toml `[city_languages]`) first and the
    workspace's second when they differ: the partner city's participants read their own language."""
    if langs:
        return langs[:2]
    info = partnership_info(ws.con, pid)
    partner = next((ws.config.city_languages.get(c.id) for c in info.cities if c.role == "partner"), None)
    return list(dict.fromkeys([partner or ws.config.language, ws.config.language]))


def kit_labels(text: KitText, langs: list[str]) -> dict[str, str]:
    """The kit's labels in the first language, or "first / second" in a bilingual kit."""
    return {k: " / ".join(dict.fromkeys(v.get(lg) for lg in langs)) for k, v in text.labels.items()}


def agenda_times(text: KitText, lang: str) -> list[AgendaRow]:
    t = dt.datetime.combine(dt.date(2000, 1, 1), dt.time.fromisoformat(text.start))
    rows = []
    for item in text.agenda:
        end = t + dt.timedelta(minutes=item.minutes)
        rows.append(AgendaRow(start=t.strftime("%H:%M"), end=end.strftime("%H:%M"), minutes=item.minutes,
                              title=item.title.get(lang), note=item.note.get(lang) if item.note else None))
        t = end
    return rows


def build_kit(ws: Workspace, pid: str, out_dir: Path, round_id: str | None = None,
              held_on: dt.date | None = None, langs: list[str] | None = None) -> list[Path]:
    """The kit's PDFs; `langs`: one language, or two for a bilingual kit (default: kit_languages)."""
    # Every page is rendered before the first PDF is written, so that a template error leaves no PDF behind.
    html = kit_html(ws, pid, round_id, held_on, langs)
    return [write_pdf(page_html, out_dir / f"{pid}-{name}.pdf") for name, page_html in html]


def kit_html(ws: Workspace, pid: str, round_id: str | None = None, held_on: dt.date | None = None,
             langs: list[str] | None = None, scoreboard: Scoreboard | None = None) -> list[tuple[str, str]]:
    """(name, HTML) of each page of the kit, as printed; `scoreboard`: the partnership's, when already built
    for `round_id`."""
    langs = kit_languages(ws, pid, langs)
    lang, lang2 = langs[0], (langs[1] if len(langs) > 1 else None)
    fw = load_framework()
    text = load_kit_text()
    info = partnership_info(ws.con, pid)
    sb = scoreboard or build_scoreboard(ws, pid, round_id=round_id, framework=fw)
    if lang != ws.config.language:
        sb = localise_scoreboard(sb, lang, fw)
    labels = kit_labels(text, langs)
    env = kit_environment(lang)
    held = held_on.isoformat() if held_on else None
    # Before a round the poster's "last round" column shows the latest round held; after it, the one before.
    last_round = sb.round_id if round_id is None else sb.previous_round_id
    last = {p.id: p.score for p in sb.principles} if round_id is None else {
        p.id: p.previous_score for p in sb.principles}
    pages: list[tuple[str, KitPage]] = [
        ("agenda", AgendaPage(info=info, fw=fw, lang=lang, lang2=lang2, L=labels, held_on=held,
                              agenda=agenda_times(text, lang))),
        ("worksheets", WorksheetsPage(info=info, fw=fw, lang=lang, lang2=lang2, L=labels, held_on=held)),
        ("poster", PosterPage(info=info, fw=fw, lang=lang, lang2=lang2, L=labels, held_on=held, last=last,
                              previous_round=last_round)),
    ]
    if sb.round_id is not None:
        pages.append(("handout", HandoutPage(info=info, fw=fw, lang=lang, lang2=lang2, L=labels, held_on=held,
                                             sb=sb, rules=RULES)))
    return [(name, render_page(env, page)) for name, page in pages]
