"""Page models of the public site: what a published page can show, and nothing more.

The site's partnership page is built from a Scoreboard, which also carries what stays in the workspace
(each question's spread and agreed reason, the indicator series, ids). The models here copy only the
fields the public templates print (`PublicScoreboard.of`), so an individual rating, a participant code
or a free-text comment has no field to travel in: a leak is a type error, not a review finding.
tests/test_page_contexts.py holds them to that (no workspace model reachable, every field printed).

The methodology page's definitions are public anyway; they get narrow models too, so that the rule
"a public model holds only what a public page prints" has no exceptions to remember.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from c2c_monitor.definitions.catalog import Indicator
from c2c_monitor.definitions.principles import Framework, Text
from c2c_monitor.render.pages import Page
from c2c_monitor.score.scoreboard import Scoreboard


class Public(BaseModel):
    # from_attributes: built straight from the Scoreboard's rows, reading only the fields declared here.
    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=True)


class City(Public):
    name: str
    country: str | None
    role: Literal["european", "partner"]


class Partnership(Public):
    name: str
    theme: str | None
    sdgs: list[int]
    budget_eur: float | None
    start_year: int | None
    description: str | None
    cities: list[City]


class Principle(Public):
    """A principle's aggregate only: no per-question medians, ranges or agreed reasons."""

    id: str
    title: str
    score: float | None
    status: Literal["scored", "insufficient data", "not assessed", "not expected yet"]
    expected_from_step: int | None
    n_questions: int
    n_answered: int
    previous_score: float | None
    trend: str
    disagreements: list[str]  # ids of the questions flagged, printed as a count
    n_ratings: int  # answers: ratings, "not applicable"/"don't know", blanks (counts, never values)
    n_not_applicable_dont_know: int
    n_blank: int


class Group(Public):
    """A stakeholder group's mean, for groups the scoring kept (at least min_group_size people)."""

    group: str
    principle_id: str
    n_participants: int
    score: float | None


class Action(Public):
    """A follow-up action the workshop agreed on, published as agreed (the implementation plan's columns)."""

    id: str
    principle_id: str
    principles: list[str]
    round_id: str | None
    text: str
    enablers: str | None
    owner: str | None
    priority: int | None
    high_priority: bool
    timeframe: str | None
    due: str | None
    status: str
    overdue: bool


class Stage(Public):
    """The step of the City Partnerships process the partnership reached."""

    step: int
    name: str
    reached_on: str | None


class IndicatorRow(Public):
    title: str
    family: Literal["city", "partnership"]
    harmonised: bool
    sdg: str
    unit: str
    city_name: str | None
    value: float | None
    period: str | None
    score: float | None
    light: Literal["green", "amber", "red", "none"]
    trend: str
    end_value: float
    target_kind: Literal["harmonised", "local"]
    missing_reason: str | None
    provisional: bool


class Aggregate(Public):
    dimension: Literal["ec_objective", "dac", "sdg", "principle"]
    key: str
    mean_score: float | None
    n_indicators: int
    coverage: float
    indicator_ids: list[str]


class LocalIndicator(Public):
    """A city's own series as the site shows it: with its source, never compared."""

    city_id: str
    city_name: str | None
    code: str
    title: str
    unit: str | None
    value: float | None
    period: str | None
    target_2030: float | None
    progress: float | None
    source: str | None


class PublicScoreboard(Public):
    """The part of a Scoreboard a partnership page prints (read by _scoreboard_sections.html.j2 too)."""

    partnership: Partnership
    targets: Literal["harmonised", "local"]
    vintages_used: list[int]
    rules: list[str]
    round_id: str | None
    previous_round_id: str | None
    n_participants: int
    min_group_size: int
    min_spread_size: int
    round_withheld: str | None
    principles: list[Principle]
    groups: list[Group]
    partner_types: list[Group]
    actions: list[Action]
    stage: Stage | None
    indicators: list[IndicatorRow]
    aggregates: list[Aggregate]
    local_indicators: list[LocalIndicator] = []
    # Last, as in IndicatorDefinition: a field named `list` would shadow the builtin in the annotations below it.
    list: Literal["simplified", "long"]

    @classmethod
    def of(cls, sb: Scoreboard) -> PublicScoreboard:
        return cls.model_validate(sb)


class ScalePoint(Public):
    value: int
    label: Text  # every language of the definitions; the template picks the workspace's


class SpecialAnswer(Public):
    code: str
    label: Text


class Scale(Public):
    numeric: list[ScalePoint]
    special: list[SpecialAnswer]


class PrincipleDefinition(Public):
    id: str
    title: Text
    summary: Text
    n_questions: int


class FrameworkSummary(Public):
    """The rating scale and the principles, without the checklist's question texts."""

    scale: Scale
    principles: list[PrincipleDefinition]

    @classmethod
    def of(cls, fw: Framework) -> FrameworkSummary:
        return cls(scale=Scale.model_validate(fw.scale), principles=[
            PrincipleDefinition(id=p.id, title=p.title, summary=p.summary, n_questions=len(p.questions))
            for p in fw.principles])


class EndValue(Public):
    value: float
    source: str


class IndicatorDefinition(Public):
    title: str
    sdg: str  # the SDG code, or its target with "(local proxy)"
    dac: list[str]
    unit: str
    end_value: EndValue
    list: Literal["simplified", "long"]

    @classmethod
    def of(cls, i: Indicator, lang: str = "en") -> IndicatorDefinition:
        return cls(title=i.title_in(lang), sdg=i.sdg.label, list=i.list, dac=list(i.dac), unit=i.unit,
                   end_value=EndValue.model_validate(i.end_value))


class SiteInfo(Public):
    """The footer of every page: versions, licence and the data vintages behind the whole site."""

    title: str
    generated_at: str
    tool_version: str
    catalog_version: str
    framework_version: str
    rules_version: str
    licence: str
    vintages: list[int]


class Vintage(Public):
    """A public load of statistical data; the source is a file name, never a local path."""

    id: int
    created: str
    kind: str
    source: str | None
    sha256: str | None
    rows: int | None


class IndexRow(Public):
    slug: str
    name: str
    cities: str
    theme: str | None
    sdgs: list[int]
    round_id: str | None
    principle_mean: float | None
    green: int
    scored: int


class Spark(Public):
    title: str
    city: str
    svg: str  # rendered by render.svg from the scoreboard's series, which itself stays out of the page


class DataFile(Public):
    path: str
    description: str
    rows: int


class Alternate(Public):
    """The same page in one of the published languages (a `hreflang` link and the language switch)."""

    lang: str
    name: str  # the language's name in itself
    href: str  # relative to the page


class Coverage(Public):
    """How many indicator rows of one family have a score, and how many are not expected at this stage."""

    family: str
    n_rows: int
    n_scored: int
    n_not_expected: int


class PrincipleNote(Public):
    """A principle in the council summary: its score and one sentence made from the data."""

    id: str
    title: str
    score: float
    sentence: str


class SitePage(Page):
    """What _layout.html.j2 reads; every site page extends it."""

    site: SiteInfo
    lang: str
    root: str  # "../" per folder level up to the site's top (assets, data, datapackage.json)
    home: str  # the same up to this language's pages: the site's top, or its language folder (fr/)
    # Every published language's version of this page; empty when one language is published (no switch).
    alternates: list[Alternate] = []


class IndexPage(SitePage):
    template: ClassVar[str] = "site/index.html.j2"
    rows: list[IndexRow]


class MethodologyPage(SitePage):
    template: ClassVar[str] = "site/methodology.html.j2"
    fw: FrameworkSummary
    indicators: list[IndicatorDefinition]
    rules: list[str]
    min_group_size: int
    min_spread_size: int


class VintagesPage(SitePage):
    template: ClassVar[str] = "site/vintages.html.j2"
    vintages: list[Vintage]


class PartnershipPage(SitePage):
    template: ClassVar[str] = "site/partnership.html.j2"
    sb: PublicScoreboard
    slug: str
    has_pdf: bool
    chart_principles: str
    sparks: list[Spark]
    vintages: list[Vintage]


class DataReadmePage(SitePage):
    template: ClassVar[str] = "site/data_readme.html.j2"
    resources: list[DataFile]


class CouncilPage(SitePage):
    """The council summary (the PDF of `c2c publish`): 2-4 pages for a city council, not the web page printed."""

    template: ClassVar[str] = "site/council.html.j2"
    partnership: Partnership
    stage: Stage | None
    round_id: str | None
    previous_round_id: str | None
    n_participants: int
    chart_principles: str
    coverage: list[Coverage]
    brief: list[str]
    strongest: list[PrincipleNote]
    weakest: list[PrincipleNote]
    actions: list[Action]
    n_actions: int
    n_done: int
    report_href: str
    data_href: str
