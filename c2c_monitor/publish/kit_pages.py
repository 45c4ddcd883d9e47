"""Page models of the printed workshop kit (workshops/templates/).

The kit is printed for the workshop itself, not published: the handout shows the round's per-question
aggregates (median, spread, agreed reasons) to the people who rated, so it is given the full Scoreboard.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from c2c_monitor.definitions.principles import Framework
from c2c_monitor.definitions.rules import Rules
from c2c_monitor.render.pages import Page
from c2c_monitor.score.scoreboard import PartnershipInfo, Scoreboard


class AgendaRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start: str  # HH:MM, from the kit's start time and the durations before it
    end: str
    minutes: int
    title: str  # already in the workspace's language
    note: str | None


class KitPage(Page):
    """What _kit_base.html.j2 and _scale.html.j2 read; every kit page extends the base."""

    info: PartnershipInfo
    fw: Framework
    lang: str
    # A bilingual kit's second language (`--lang fr,en`): each principle, question and scale label is printed
    # in `lang` and then in `lang2`; None for a kit in one language.
    lang2: str | None = None
    L: dict[str, str]  # noqa: N815  (the templates' name for the kit's labels: "Fiche / Worksheet" when bilingual)
    held_on: str | None  # ISO date, or None for a blank line to fill in by hand
    # The worksheets print the round when given one; the kit is printed before a round has an id, so this
    # is None for now (kept so that the templates' reference is declared).
    round_id: str | None = None


class AgendaPage(KitPage):
    template: ClassVar[str] = "agenda.html.j2"
    agenda: list[AgendaRow]


class WorksheetsPage(KitPage):
    template: ClassVar[str] = "worksheets.html.j2"


class PosterPage(KitPage):
    template: ClassVar[str] = "poster.html.j2"
    last: dict[str, float | None]  # principle id -> score in the round shown as "last round"
    previous_round: str | None


class HandoutPage(KitPage):
    template: ClassVar[str] = "handout.html.j2"
    sb: Scoreboard
    rules: Rules  # the handout explains the trend threshold
