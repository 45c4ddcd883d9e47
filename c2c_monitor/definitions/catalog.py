"""The indicator catalogue: pydantic models of the definition files, loading and coverage rules."""

from __future__ import annotations

import builtins
import csv
import hashlib
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.definitions.records import DATASETS
from c2c_monitor.definitions.text import Text
from c2c_monitor.definitions.yamlload import YamlSyntaxError, line_of, load_yaml
from c2c_monitor.errors import DefinitionError, Finding

EC_OBJECTIVES = (
    "urban_governance",
    "social_inclusiveness",
    "resilience_greening",
    "prosperity_innovation",
)
DAC_CRITERIA = ("relevance", "coherence", "effectiveness", "efficiency", "impact", "sustainability")
PRINCIPLE_IDS = tuple(f"P{i:02d}" for i in range(1, 11))

EcObjective = Literal["urban_governance", "social_inclusiveness", "resilience_greening", "prosperity_innovation"]
Dac = Literal["relevance", "coherence", "effectiveness", "efficiency", "impact", "sustainability"]
PrincipleId = Literal["P01", "P02", "P03", "P04", "P05", "P06", "P07", "P08", "P09", "P10"]

Scalar = str | int | float | bool


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Filter(Strict):
    column: str
    op: Literal["eq", "ne", "in", "not_in", "gt", "ge", "lt", "le", "is_null", "not_null"]
    value: Scalar | list[Scalar] | None = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Filter:
        if self.op in ("is_null", "not_null"):
            if self.value is not None:
                raise ValueError(f"op {self.op!r} takes no value")
        elif self.op in ("in", "not_in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"op {self.op!r} needs a non-empty list value")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs a single value")
        return self


class Source(Strict):
    dataset: str
    measure: str | None = None  # None: count rows
    filters: list[Filter] = []


class Reported(Strict):
    """The value is reported as is by a statistical office (an observation series)."""

    kind: Literal["reported"]
    code: str | None = None  # observation code; defaults to the indicator id


class Count(Strict):
    kind: Literal["count"]
    dataset: str
    filters: list[Filter] = []


class Sum(Strict):
    kind: Literal["sum"]
    dataset: str
    measure: str
    filters: list[Filter] = []


class Share(Strict):
    """100 x (measure over rows matching filters and numerator) / (measure over rows matching filters)."""

    kind: Literal["share"]
    dataset: str
    measure: str | None = None
    filters: list[Filter] = []
    numerator: list[Filter]


class Ratio(Strict):
    kind: Literal["ratio"]
    numerator: Source
    denominator: Source
    scale: float = 1.0


class PerCapita(Strict):
    kind: Literal["per_capita"]
    dataset: str
    measure: str | None = None
    filters: list[Filter] = []
    per: float = 100000.0


class Growth(Strict):
    """Percentage change of the (filtered) count or sum on the previous period."""

    kind: Literal["growth"]
    dataset: str
    measure: str | None = None
    filters: list[Filter] = []


class InPlace(Strict):
    """1 once a matching row exists on or before the period, else 0."""

    kind: Literal["in_place"]
    dataset: str
    filters: list[Filter] = []


Computation = Annotated[
    Reported | Count | Sum | Share | Ratio | PerCapita | Growth | InPlace,
    Field(discriminator="kind"),
]


# How an SDG reference that is a city's stand-in for a target ends (`SdgRef.label`); pages say it in their own
# language (render/i18n.sdg_label), scoreboards and open data keep it.
PROXY_SUFFIX = " (local proxy)"


class SdgRef(Strict):
    code: str | None = None
    proxy: bool = False
    goal: int | None = Field(default=None, ge=1, le=17)
    target: str | None = None
    # UN global SDG series codes (the SERIES code list of the SDG DSD, e.g. SI_POV_NAHC) that measure
    # exactly this indicator: SDMX data from a statistical office maps to it by these, with no mapping file.
    series: builtins.list[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,39}$")]] = []

    @model_validator(mode="after")
    def _official_or_proxy(self) -> SdgRef:
        if self.proxy:
            if self.goal is None:
                raise ValueError("a local proxy needs its SDG goal")
            if self.code is not None:
                raise ValueError("a local proxy has no official code; give goal and target")
        elif self.code is None:
            raise ValueError("give an official UN indicator code, or proxy: true with a goal")
        return self

    @property
    def goal_number(self) -> int:
        if self.goal is not None:
            return self.goal
        return int(str(self.code).split(".")[0])

    @property
    def reference(self) -> str:
        """The UN code this reference shows: the indicator's, or a proxy's target (else its goal)."""
        if self.proxy:
            return self.target or str(self.goal)
        return str(self.code)

    def title_in(self, lang: str) -> str | None:
        """The UN's title of that goal, target or indicator in `lang` (English where none is written)."""
        from c2c_monitor.definitions.sdg_titles import sdg_title

        return sdg_title(self.reference, lang)

    @property
    def label(self) -> str:
        if self.proxy:
            return f"{self.target or self.goal}{PROXY_SUFFIX}"
        return str(self.code)


class EndValue(Strict):
    value: float
    source: str = Field(min_length=3)


class Bounds(Strict):
    worst: float


class Plausible(Strict):
    min: float | None = None
    max: float | None = None


class Indicator(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    # The YAML's `title`: a map of language -> text, or (the older form) one string read as English.
    # `title` (the property) stays the English string every existing output prints.
    title_text: Text = Field(alias="title")
    family: Literal["city", "partnership"]
    sdg: SdgRef
    # This field shadows the builtin in the class body; later fields spell it builtins.list.
    list: Literal["simplified", "long"]
    ec_objective: EcObjective
    dac: builtins.list[Dac] = Field(min_length=1)
    principles: builtins.list[PrincipleId] = []
    unit: str = Field(min_length=1)
    polarity: Literal["higher", "lower"]
    end_value: EndValue
    bounds: Bounds
    plausible: Plausible = Plausible()
    computation: Computation
    periodicity: Literal["annual", "quarterly"]
    annual_rule: Literal["sum", "mean", "last"] = "last"
    disaggregations: builtins.list[str] = []
    data_source: str = Field(min_length=3)
    harmonised: bool = True  # False for a partnership's own indicators
    # The step of the City Partnerships process (1-8, partnership_process/stages.yaml) from which a value is
    # expected: before it a partnership is not scored on the indicator (e.g. budget execution from step 7).
    expected_from_step: int | None = Field(default=None, ge=1, le=8)

    @field_validator("title_text", mode="before")
    @classmethod
    def _plain_title_is_english(cls, v: object) -> object:
        return {"en": v} if isinstance(v, str) else v

    @field_validator("title_text")
    @classmethod
    def _title_long_enough(cls, v: Text) -> Text:
        if len(v.en) < 3:
            raise ValueError("the English title needs at least 3 characters")
        return v

    @model_serializer(mode="wrap")
    def _title_dumps_as_english(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        # `catalog show` and the cached listing print the English title under `title`, in its place.
        data = handler(self)
        return {("title" if k == "title_text" else k): (self.title if k == "title_text" else v)
                for k, v in data.items()}

    @property
    def title(self) -> str:
        return self.title_text.en

    def title_in(self, lang: str) -> str:
        """The title in `lang` (a code of definitions/languages.py), English when not translated."""
        return self.title_text.get(lang)

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        end, worst = self.end_value.value, self.bounds.worst
        if end == worst:
            raise ValueError("bounds.worst equals the end value: nothing to normalise")
        if self.polarity == "higher" and worst > end:
            raise ValueError("polarity 'higher' needs bounds.worst below the end value")
        if self.polarity == "lower" and worst < end:
            raise ValueError("polarity 'lower' needs bounds.worst above the end value")
        if (self.family == "city") != (self.computation.kind == "reported"):
            raise ValueError("city indicators are reported; partnership indicators are computed")
        return self

    @property
    def lists(self) -> tuple[str, ...]:
        return ("simplified", "long") if self.list == "simplified" else ("long",)

    @property
    def observation_code(self) -> str:
        comp = self.computation
        if isinstance(comp, Reported) and comp.code:
            return comp.code
        return self.id


class Catalogue(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    indicators: dict[str, Indicator]
    version: str
    files: dict[str, str] = {}

    def select(
        self,
        list_name: str | None = None,
        sdg: int | None = None,
        dac: str | None = None,
        principle: str | None = None,
        ec: str | None = None,
        family: str | None = None,
        harmonised_only: bool = False,
    ) -> list[Indicator]:
        out = []
        for ind in self.indicators.values():
            if list_name and list_name not in ind.lists:
                continue
            if sdg is not None and ind.sdg.goal_number != sdg:
                continue
            if dac and dac not in ind.dac:
                continue
            if principle and principle not in ind.principles:
                continue
            if ec and ind.ec_objective != ec:
                continue
            if family and ind.family != family:
                continue
            if harmonised_only and not ind.harmonised:
                continue
            out.append(ind)
        return out

    @cached_property
    def ordered(self) -> list[Indicator]:
        return sorted(self.indicators.values(), key=lambda i: (i.family, i.sdg.goal_number, i.id))


def load_un_codes(folder: Path | None = None) -> set[str]:
    path = (folder or definitions_dir("indicators")) / "_un_global_indicators.csv"
    with path.open(encoding="utf-8") as fh:
        rows = (line for line in fh if not line.startswith("#"))
        return {row["code"] for row in csv.DictReader(rows)}


def _pydantic_findings(exc: ValidationError, path: Path, lines: dict) -> list[Finding]:
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p[:1].isupper()))
        # Discriminated unions put the tag in the location; drop it to find the YAML line.
        loc = tuple(p for p in loc if p not in ("reported", "count", "sum", "share", "ratio",
                                                  "per_capita", "growth", "in_place"))
        field = ".".join(str(p) for p in loc) or None
        value = err.get("input")
        out.append(
            Finding(
                "invalid-field",
                str(path),
                err["msg"],
                line_of(lines, loc),
                field,
                None if isinstance(value, (dict, list)) else str(value),
            )
        )
    return out


def _check_filters(filters: Iterable[Filter], dataset: str, where: str, path: Path, lines: dict,
                   loc: tuple) -> list[Finding]:
    ds = DATASETS[dataset]
    out = []
    for i, flt in enumerate(filters):
        col = ds.column(flt.column)
        if col is None:
            out.append(Finding("unknown-column", str(path),
                               f"{where}: dataset {dataset!r} has no column {flt.column!r}"
                               f" (columns: {', '.join(ds.names)})",
                               line_of(lines, loc + (i, "column")), "column", flt.column))
            continue
        values = flt.value if isinstance(flt.value, list) else [flt.value]
        if col.choices:
            for v in values:
                if v is not None and v not in col.choices:
                    out.append(Finding("unknown-code", str(path),
                                       f"{where}: {v!r} is not a value of {dataset}.{col.name}"
                                       f" (allowed: {', '.join(col.choices)})",
                                       line_of(lines, loc + (i, "value")), "value", str(v)))
    return out


def _check_computation(ind: Indicator, path: Path, lines: dict) -> list[Finding]:
    comp = ind.computation
    out: list[Finding] = []
    sources: list[tuple[str, str | None, list[Filter], tuple]] = []
    base = ("computation",)
    if isinstance(comp, Ratio):
        sources.append((comp.numerator.dataset, comp.numerator.measure, comp.numerator.filters,
                        base + ("numerator",)))
        sources.append((comp.denominator.dataset, comp.denominator.measure,
                        comp.denominator.filters, base + ("denominator",)))
    elif not isinstance(comp, Reported):
        measure = getattr(comp, "measure", None)
        sources.append((comp.dataset, measure, comp.filters, base))
    for dataset, measure, filters, loc in sources:
        if dataset not in DATASETS:
            out.append(Finding("unknown-dataset", str(path),
                               f"unknown dataset {dataset!r} (known: {', '.join(DATASETS)})",
                               line_of(lines, loc + ("dataset",)), "dataset", dataset))
            continue
        ds = DATASETS[dataset]
        if measure is not None:
            col = ds.column(measure)
            if col is None or col.type not in ("int", "float"):
                out.append(Finding("bad-measure", str(path),
                                   f"measure {measure!r} is not a numeric column of {dataset!r}",
                                   line_of(lines, loc + ("measure",)), "measure", measure))
        out += _check_filters(filters, dataset, "filters", path, lines, loc + ("filters",))
        if isinstance(comp, Share) and loc == base:
            out += _check_filters(comp.numerator, dataset, "numerator", path, lines,
                                  loc + ("numerator",))
    return out


def load_catalogue(folders: Iterable[Path] | None = None, own_folder: Path | None = None) -> Catalogue:
    """Load and validate every definition; raise DefinitionError with all findings."""
    cat, findings = validate_catalogue(folders, own_folder)
    if findings:
        raise DefinitionError(findings)
    assert cat is not None
    return cat


def validate_catalogue(
    folders: Iterable[Path] | None = None, own_folder: Path | None = None
) -> tuple[Catalogue | None, list[Finding]]:
    folder_list = list(folders) if folders is not None else [definitions_dir("indicators")]
    un_codes = load_un_codes(folder_list[0])
    findings: list[Finding] = []
    indicators: dict[str, Indicator] = {}
    where: dict[str, str] = {}
    series_of: dict[str, str] = {}
    digest = hashlib.sha256()
    sources = [(f, True) for f in folder_list]
    if own_folder is not None and own_folder.is_dir():
        sources.append((own_folder, False))
    for folder, harmonised in sources:
        for path in sorted(folder.glob("*.yaml")):
            raw_bytes = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + raw_bytes)
            try:
                data, lines = load_yaml(path)
            except YamlSyntaxError as exc:
                findings.append(exc.finding)
                continue
            except UnicodeDecodeError:
                findings.append(Finding("encoding", str(path), "not UTF-8 text"))
                continue
            if not isinstance(data, dict):
                findings.append(Finding("not-a-mapping", str(path),
                                        "expected a mapping of fields at the top level", 1))
                continue
            if not harmonised:
                data = {**data, "harmonised": False}
            try:
                ind = Indicator.model_validate(data)
            except ValidationError as exc:
                findings += _pydantic_findings(exc, path, lines)
                continue
            if ind.id != path.stem:
                findings.append(Finding("id-filename", str(path),
                                        f"id {ind.id!r} differs from the file name {path.stem!r}",
                                        line_of(lines, ("id",)), "id", ind.id))
            if ind.id in indicators:
                findings.append(Finding("duplicate-id", str(path),
                                        f"id {ind.id!r} already defined in {where[ind.id]}",
                                        line_of(lines, ("id",)), "id", ind.id))
                continue
            if not ind.sdg.proxy and ind.sdg.code not in un_codes:
                findings.append(Finding("unknown-sdg-code", str(path),
                                        f"{ind.sdg.code!r} is not in the UN global indicator list;"
                                        " mark it `proxy: true` with goal and target if it is local",
                                        line_of(lines, ("sdg", "code")), "sdg.code", ind.sdg.code))
            if ind.sdg.proxy and ind.sdg.target:
                goal_prefix = f"{ind.sdg.goal}."
                if not ind.sdg.target.startswith(goal_prefix) or not any(
                    c.startswith(ind.sdg.target + ".") for c in un_codes
                ):
                    findings.append(Finding("unknown-sdg-target", str(path),
                                            f"target {ind.sdg.target!r} is not a target of SDG {ind.sdg.goal}",
                                            line_of(lines, ("sdg", "target")), "sdg.target",
                                            ind.sdg.target))
            for code in ind.sdg.series:
                if code in series_of:
                    findings.append(Finding("duplicate-series", str(path),
                                            f"UN series {code!r} already names {series_of[code]!r}: a series "
                                            "measures one indicator", line_of(lines, ("sdg", "series")),
                                            "sdg.series", code))
                series_of.setdefault(code, ind.id)
            if ind.sdg.series and ind.family != "city":
                findings.append(Finding("series-not-city", str(path), "only city indicators are read from "
                                        "national statistics by their UN series", line_of(lines, ("sdg", "series")),
                                        "sdg.series"))
            findings += _check_computation(ind, path, lines)
            indicators[ind.id] = ind
            where[ind.id] = str(path)
    if not indicators and not findings:
        findings.append(Finding("empty-catalogue", str(folder_list[0]), "no indicator definitions found"))
    if findings:
        return None, findings
    return Catalogue(indicators=indicators, version=digest.hexdigest()[:12], files=where), []


def coverage_findings(cat: Catalogue) -> list[Finding]:
    """The catalogue's coverage rules (issue 3): the harmonised set must serve the framework."""
    out: list[Finding] = []
    harm = [i for i in cat.indicators.values() if i.harmonised]
    simplified = [i for i in harm if i.list == "simplified"]
    src = "catalogue"

    def need(n_have: int, n_min: int, what: str) -> None:
        if n_have < n_min:
            out.append(Finding("coverage", src, f"{what}: {n_have} indicator(s), at least {n_min} needed"))

    need(len(simplified), 15, "simplified list size")
    if len(simplified) > 25:
        out.append(Finding("coverage", src, f"simplified list has {len(simplified)} indicators, at most 25"))
    need(len(harm), 60, "long list size")
    for ec in EC_OBJECTIVES:
        need(sum(ec == i.ec_objective for i in simplified), 3, f"EC objective {ec} (simplified list)")
    for dac in DAC_CRITERIA:
        need(sum(dac in i.dac for i in simplified), 2, f"DAC criterion {dac} (simplified list)")
    for p in PRINCIPLE_IDS:
        need(sum(p in i.principles and i.family == "partnership" for i in harm), 1,
             f"principle {p} (partnership indicators)")
    for goal in (11, 17):
        need(sum(i.sdg.goal_number == goal for i in harm), 5, f"SDG {goal} (long list)")
    return out
