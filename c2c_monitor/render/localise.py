"""A scoreboard or a comparison with its definition texts in another language.

The scoring writes principle titles and questions in the workspace's language and indicator titles as
the catalogue's; an output asked for in another language (`--lang`, a partner city's language, a second
language of the site) takes them from the definitions again. Only texts change: no figure is touched.
"""

from __future__ import annotations

from c2c_monitor.definitions.catalog import Catalogue
from c2c_monitor.definitions.principles import Framework
from c2c_monitor.score.comparison import Comparison
from c2c_monitor.score.scoreboard import Scoreboard


def localise_scoreboard(sb: Scoreboard, lang: str, fw: Framework, cat: Catalogue | None = None) -> Scoreboard:
    principles = {p.id: p for p in fw.principles}
    rows = []
    for pr in sb.principles:
        d = principles.get(pr.id)
        if d is None:
            rows.append(pr)
            continue
        texts = {q.id: q.text.get(lang) for q in d.questions}
        rows.append(pr.model_copy(update={
            "title": d.title.get(lang),
            "questions": [q.model_copy(update={"text": texts.get(q.id, q.text)}) for q in pr.questions]}))
    update: dict[str, object] = {"principles": rows}
    if cat is not None:
        update["indicators"] = [r.model_copy(update={"title": cat.indicators[r.id].title_in(lang)})
                                if r.id in cat.indicators else r for r in sb.indicators]
    return sb.model_copy(update=update)


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
