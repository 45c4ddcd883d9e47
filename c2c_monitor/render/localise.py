"""A scoreboard or a comparison with its definition texts in another language.

The scoring writes principle titles and questions in the workspace's language and indicator titles as
the catalogue's; an output asked for in another language (`--lang`, a partner city's language, a second
language of the site) takes them from the definitions again, and the cities' countries from CLDR when the caller
gives them (render/countries). Only texts change: no figure is touched.
"""

from __future__ import annotations

from collections.abc import Mapping

from c2c_monitor.definitions.catalog import Catalogue
from c2c_monitor.definitions.principles import Framework
from c2c_monitor.score.comparison import Comparison
from c2c_monitor.score.scoreboard import Scoreboard


def localise_scoreboard(sb: Scoreboard, lang: str, fw: Framework, cat: Catalogue | None = None,
                        countries: Mapping[str, str] | None = None) -> Scoreboard:
    """`countries`: the cities' countries named in `lang` (render/countries.country_names), by city id."""
    # A row is copied only when one of its texts changes: a site publishes a thousand scoreboards, mostly in the
    # language they were scored in, and a copy per row and question was a tenth of `c2c publish`.
    principles = {p.id: p for p in fw.principles}
    rows = []
    for pr in sb.principles:
        d = principles.get(pr.id)
        if d is None:
            rows.append(pr)
            continue
        texts = {q.id: q.text.get(lang) for q in d.questions}
        questions = [q if texts.get(q.id, q.text) == q.text else q.model_copy(update={"text": texts[q.id]})
                     for q in pr.questions]
        title = d.title.get(lang)
        changed = title != pr.title or any(a is not b for a, b in zip(questions, pr.questions, strict=True))
        rows.append(pr.model_copy(update={"title": title, "questions": questions}) if changed else pr)
    update: dict[str, object] = {}
    if any(a is not b for a, b in zip(rows, sb.principles, strict=True)):
        update["principles"] = rows
    if cat is not None:
        indicators = [r.model_copy(update={"title": title})
                      if r.id in cat.indicators and (title := cat.indicators[r.id].title_in(lang)) != r.title else r
                      for r in sb.indicators]
        if any(a is not b for a, b in zip(indicators, sb.indicators, strict=True)):
            update["indicators"] = indicators
    if countries and any(countries.get(c.id, c.country) != c.country for c in sb.partnership.cities):
        cities = [c.model_copy(update={"country": countries[c.id]}) if c.id in countries else c
                  for c in sb.partnership.cities]
        update["partnership"] = sb.partnership.model_copy(update={"cities": cities})
    return sb.model_copy(update=update) if update else sb


def localise_comparison(c: Comparison, lang: str, fw: Framework, cat: Catalogue) -> Comparison:
    titles = {p.id: p.title.get(lang) for p in fw.principles}

    def ind(i: str, title: str) -> str:
        return cat.indicators[i].title_in(lang) if i in cat.indicators else title

    update: dict[str, object] = {}
    if c.over_time:
        o = c.over_time
        update["over_time"] = o.model_copy(update={
            "principles": [p.model_copy(update={"title": titles.get(p.id, p.title)}) for p in o.principles],
            "indicators": [r.model_copy(update={"title": ind(r.id, r.title)}) for r in o.indicators]})
    if c.side_by_side:
        s = c.side_by_side
        update["side_by_side"] = s.model_copy(update={"rows": [
            r.model_copy(update={"title": titles.get(r.id, r.title) if r.kind == "principle" else ind(r.id, r.title)})
            for r in s.rows]})
    return c.model_copy(update=update)
