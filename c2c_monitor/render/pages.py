"""Typed page contexts: every template is rendered from exactly one `Page` model, and nothing else.

A page model names its template and declares every top-level name the template (with the templates it
includes or extends) may read, so a template typo fails in tests/test_page_contexts.py instead of
printing an empty cell, and what a page can show is visible in one class. Helpers the templates call
(filters, the symbol tables) stay Jinja globals: they are code, not page data.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from c2c_monitor.score.comparison import Comparison
from c2c_monitor.score.programme import Programme
from c2c_monitor.score.scoreboard import Scoreboard


class Page(BaseModel):
    """One template's whole context; its fields become the template's top-level names."""

    # extra="forbid": a context key the model does not declare is an error when the page is built.
    model_config = ConfigDict(extra="forbid", frozen=True)
    template: ClassVar[str] = ""  # set by each concrete page; base classes leave it empty

    def context(self) -> dict[str, object]:
        # Shallow on purpose: templates read the nested models themselves (Text.get, properties), which
        # model_dump() would have turned into plain dicts.
        return {name: getattr(self, name) for name in type(self).model_fields}


class ScoreboardPage(Page):
    """`c2c assess --format html`: the workspace's own full scoreboard (not published)."""

    template: ClassVar[str] = "scoreboard.html.j2"
    sb: Scoreboard
    lang: str = "en"  # the workspace's language (c2c.toml), for <html lang>


class ComparePage(Page):
    template: ClassVar[str] = "compare.html.j2"
    c: Comparison
    principle_svg: str  # pre-rendered charts; empty when there is nothing to draw
    series_svg: str
    symbol: dict[str, str]  # change -> symbol, so that the change is not told by colour alone
    lang: str = "en"  # the workspace's language (c2c.toml), for <html lang>


class ProgrammePage(Page):
    """`c2c programme --format html`: a cohort's aggregates only (no partnership's principle score listed)."""

    template: ClassVar[str] = "programme.html.j2"
    p: Programme
    heading: str
    lang: str = "en"  # the workspace's language (c2c.toml), for <html lang>
