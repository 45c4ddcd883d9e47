"""`c2c programme`: a cohort of partnerships at once, as the 2022 pilot report presents it (seed 004).

Everything is computed from two frames, whatever their source (a workspace, or published data packages):
the principle scores (`PRINCIPLE_SCHEMA`: one row per partnership, round and principle, each score
already the partnership's aggregate under the minimum-group rule) and the indicator coverage
(`COVERAGE_SCHEMA`). The result, `Programme`, holds cohort aggregates only: no partnership's principle
score is listed, except the `--for` partnership's own on its weakest principles.
"""

from __future__ import annotations

import re
import statistics
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from c2c_monitor.definitions.principles import Framework
from c2c_monitor.errors import C2CError, UnknownPartnership
from c2c_monitor.store import reads

if TYPE_CHECKING:
    from c2c_monitor.definitions.catalog import Catalogue
    from c2c_monitor.score.scoreboard import ListName
    from c2c_monitor.store.workspace import Workspace

SCHEMA_VERSION = "1.0"
# A spread (quartiles, lowest and highest) is shown only over at least this many partnerships: over one or
# two, the lowest or highest is a partnership's own score, readable by anyone who knows the other one.
MIN_PARTNERSHIPS = 3
# A partnership's principle score must move by this much between two rounds to count as improved or
# declined: the threshold `c2c compare` uses for principles.
PRINCIPLE_CHANGE = 0.25
N_EXTREMES = 3  # weakest and strongest principles shown
N_PEERS = 3  # peers per weak principle
PRINCIPLE_SCHEMA: dict[str, type[pl.DataType]] = {
    "partnership_id": pl.String, "round_id": pl.String, "held_on": pl.Date, "principle_id": pl.String,
    "score": pl.Float64, "n_participants": pl.Int64}
COVERAGE_SCHEMA: dict[str, type[pl.DataType]] = {
    "partnership_id": pl.String, "n_indicators": pl.Int64, "n_with_data": pl.Int64}
_YEAR = re.compile(r"^(\d{4})(?!\d)")

RULES_TEXT = [
    "A partnership's principle score is its own: the mean of the question scores (median rating, or the "
    "agreed rating) of one workshop round, withheld when the round had fewer participants than the "
    "minimum group size.",
    "The cohort profile of a principle is the mean (and median) over partnerships of those principle "
    "scores, each partnership counting once with its latest round held in the round year (without "
    "--round-year: its latest round); partnerships without a score for the principle are left out of it.",
    f"Quartiles and lowest/highest are shown only over at least {MIN_PARTNERSHIPS} partnerships; no "
    "partnership's score is listed (but the --for partnership's own, on its weakest principles).",
    "A round's year is the year it was held; where the date is not known (published packages), the year "
    "its id starts with (2022-pilot: 2022).",
    f"Direction of travel compares each partnership's round with its previous one: a change of at least "
    f"{PRINCIPLE_CHANGE} points counts as improved or declined.",
    "Indicator coverage: the share of the harmonised catalogue indicators (each city of a city indicator "
    "counted once) with at least one value, per partnership; the cohort figure is their mean.",
    f"Peers to learn from: for each of the selected partnership's {N_EXTREMES} weakest principles, up to "
    f"{N_PEERS} partnerships of the cohort scoring higher on it, highest first (names only).",
]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileRow(Model):
    id: str
    title: str
    n_partnerships: int
    mean: float | None
    median: float | None
    q1: float | None = None
    q3: float | None = None
    iqr: float | None = None
    low: float | None = None
    high: float | None = None


class YearProfile(Model):
    year: int
    n_partnerships: int
    means: dict[str, float | None]  # principle id -> cohort mean that year
    counts: dict[str, int]  # principle id -> partnerships scored


class TravelRow(Model):
    id: str
    title: str
    n_compared: int
    improved: int
    declined: int
    unchanged: int
    mean_change: float | None


class CoverageRow(Model):
    partnership_id: str
    name: str
    n_indicators: int
    n_with_data: int
    share: float | None


class PeerRow(Model):
    principle_id: str
    title: str
    own_score: float
    cohort_mean: float | None
    peers: list[str]  # partnership ids, highest score first
    peer_names: list[str]


class Programme(Model):
    schema_version: str = SCHEMA_VERSION
    generated_at: str
    source: Literal["workspace", "packages"]
    packages: list[str] = []
    round_year: int | None
    partnerships: dict[str, str]  # id -> name, the whole selection
    n_profiled: int  # partnerships with a round in the profile
    rounds: dict[str, int]  # round id -> partnerships whose round it is in the profile
    min_partnerships: int = MIN_PARTNERSHIPS
    principles: list[ProfileRow]
    weakest: list[str]
    strongest: list[str]
    by_year: list[YearProfile]
    travel: list[TravelRow]
    coverage: list[CoverageRow]
    coverage_mean: float | None
    peers_for: str | None = None
    peers: list[PeerRow] = []
    rules: list[str]


# --- the frames, from a workspace ------------------------------------------------------------------------
def cohort_principle_scores(ws: Workspace, pids: list[str], round_year: int | None = None) -> pl.DataFrame:
    """Every round's principle scores of `pids` (`PRINCIPLE_SCHEMA`), rounds held after `round_year` left out.

    The one place the programme view reads ratings: per partnership and round through `principle_rows`, so
    that a cohort figure is made of exactly the scores each scoreboard shows.
    """
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.score.assess import principle_rows

    fw = load_framework()
    rows = []
    for pid, round_id, held_on in reads.round_dates(ws.con, pids, None):
        year = _round_year(round_id, held_on)
        if round_year is not None and year is not None and year > round_year:
            continue
        view = principle_rows(ws.con, fw, pid, None, ws.config.language, round_id, ws.config.min_group_size)
        for p in view.principles:
            rows.append((pid, round_id, held_on, p.id, p.score, view.n_participants))
    return pl.DataFrame(rows, schema=PRINCIPLE_SCHEMA, orient="row")


def cohort_indicator_coverage(ws: Workspace, pids: list[str], cat: Catalogue,
                              list_name: ListName = "simplified") -> pl.DataFrame:
    """Per partnership: harmonised indicators of the list (a city indicator once per city) and how many have
    a value (`COVERAGE_SCHEMA`), from one evaluation pass."""
    from c2c_monitor.engine.evaluate import evaluate

    inds = [i for i in cat.ordered if i.harmonised and list_name in i.lists]
    slots = sum(2 if i.family == "city" else 1 for i in inds)
    res = evaluate(ws.con, inds, pids)
    have = (res.filter(pl.col("value").is_not_null()).select("partnership_id", "indicator_id", "city_id")
            .unique().group_by("partnership_id").len())
    counts = dict(zip(have["partnership_id"].to_list(), have["len"].to_list(), strict=True))
    return pl.DataFrame([(pid, slots, counts.get(pid, 0)) for pid in pids], schema=COVERAGE_SCHEMA, orient="row")


def from_workspace(ws: Workspace, pids: list[str] | None, round_year: int | None = None,
                   for_pid: str | None = None, list_name: ListName = "simplified") -> Programme:
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.score.assess import workspace_catalogue

    names = {r[0]: r[1] for r in reads.partnership_listing(ws.con)}
    if pids is None:
        pids = sorted(names)
    if not pids:
        raise C2CError("the workspace has no partnerships")
    if len(set(pids)) != len(pids):
        raise C2CError("a partnership is named twice")
    unknown = [p for p in pids if p not in names]
    if unknown:
        raise UnknownPartnership(f"unknown partnership {unknown[0]!r}",
                                 hint="see `c2c partnerships` for the known ids")
    check_for(for_pid, pids)
    scores = cohort_principle_scores(ws, pids, round_year)
    check_year(scores, round_year)
    coverage = cohort_indicator_coverage(ws, pids, workspace_catalogue(ws), list_name)
    return build_programme(scores, coverage, {p: names[p] for p in pids}, load_framework(), ws.config.language,
                           round_year, for_pid, "workspace")


def check_for(for_pid: str | None, pids: list[str]) -> None:
    if for_pid is not None and for_pid not in pids:
        raise C2CError(f"--for {for_pid!r} is not in the selected partnerships",
                       hint="add it to --partnerships, or use --all")


# --- the computation -------------------------------------------------------------------------------------
def check_year(scores: pl.DataFrame, round_year: int | None) -> None:
    """Refuse a round year in which none of the selection held a round (before any slower work)."""
    if "year" not in scores.columns:
        scores = _with_years(scores)
    if round_year is not None and not scores.filter(pl.col("year") == round_year).height:
        held = sorted({y for y in scores["year"].to_list() if y is not None})
        raise C2CError(f"--round-year {round_year}: no selected partnership held a workshop round that year",
                       hint="years with rounds: " + (", ".join(map(str, held)) or "none"))


def _round_year(round_id: str, held_on: date | None) -> int | None:
    if held_on is not None:
        return held_on.year
    m = _YEAR.match(round_id)
    return int(m.group(1)) if m else None


def _with_years(scores: pl.DataFrame) -> pl.DataFrame:
    years = [_round_year(r, h) for r, h in zip(scores["round_id"].to_list(), scores["held_on"].to_list(),
                                               strict=True)]
    return scores.with_columns(pl.Series("year", years, dtype=pl.Int64))


def _round_order(scores: pl.DataFrame) -> dict[str, list[str]]:
    """Each partnership's rounds in the order held (undated rounds by year, then id)."""
    seen = scores.select("partnership_id", "round_id", "held_on", "year").unique()
    out: dict[str, list[str]] = {}
    for pid, rid, _h, _y in sorted(seen.iter_rows(), key=lambda r: (r[0], r[3] or 0, r[2] or date.min, r[1])):
        out.setdefault(pid, []).append(rid)
    return out


def _pick(scores: pl.DataFrame, order: dict[str, list[str]], year: int | None) -> dict[str, str]:
    """partnership -> the round it counts with: its latest in `year`, or its latest of all."""
    years = {(r[0], r[1]): r[2] for r in scores.select("partnership_id", "round_id", "year").unique().iter_rows()}
    out = {}
    for pid, rounds in order.items():
        eligible = [r for r in rounds if year is None or years[(pid, r)] == year]
        if eligible:
            out[pid] = eligible[-1]
    return out


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


def _quartiles(xs: list[float]) -> tuple[float, float]:
    s = pl.Series(xs, dtype=pl.Float64)
    q1, q3 = s.quantile(0.25, interpolation="linear"), s.quantile(0.75, interpolation="linear")
    assert q1 is not None and q3 is not None  # a non-empty series has quartiles
    return float(q1), float(q3)


def _profile_row(pid: str, title: str, xs: list[float]) -> ProfileRow:
    row = ProfileRow(id=pid, title=title, n_partnerships=len(xs), mean=_r(statistics.fmean(xs)) if xs else None,
                     median=_r(statistics.median(xs)) if xs else None)
    if len(xs) >= MIN_PARTNERSHIPS:
        q1, q3 = _quartiles(xs)
        row = row.model_copy(update={"q1": _r(q1), "q3": _r(q3), "iqr": _r(q3 - q1), "low": _r(min(xs)),
                                     "high": _r(max(xs))})
    return row


def _scores_of(scores: pl.DataFrame, picked: dict[str, str]) -> dict[tuple[str, str], float]:
    """(partnership, principle) -> score in the partnership's picked round (unscored ones left out)."""
    return {(p, pr): s for p, r, pr, s in scores.select("partnership_id", "round_id", "principle_id", "score")
            .iter_rows() if s is not None and picked.get(p) == r}


def build_programme(scores: pl.DataFrame, coverage: pl.DataFrame, names: dict[str, str], fw: Framework,
                    lang: str, round_year: int | None, for_pid: str | None,
                    source: Literal["workspace", "packages"], packages: list[str] | None = None) -> Programme:
    """The cohort's view from the two frames; `names` is the selection (id -> name), in order."""
    scores = _with_years(scores.filter(pl.col("partnership_id").is_in(list(names))))
    check_year(scores, round_year)
    titles = {p.id: p.title.get(lang) for p in fw.principles}
    order = _round_order(scores)
    picked = _pick(scores, order, round_year)
    current = _scores_of(scores, picked)
    profile = [_profile_row(p, titles[p], [s for (_, pr), s in current.items() if pr == p]) for p in titles]
    ranked = sorted((r for r in profile if r.mean is not None), key=lambda r: (r.mean, r.id))

    by_year = []
    for year in sorted({y for y in scores["year"].to_list() if y is not None and
                        (round_year is None or y <= round_year)}):
        in_year = _scores_of(scores, _pick(scores, order, year))
        per = {p: [s for (_, pr), s in in_year.items() if pr == p] for p in titles}
        by_year.append(YearProfile(year=year, n_partnerships=len({k[0] for k in in_year}),
                                   means={p: _r(statistics.fmean(v)) if v else None for p, v in per.items()},
                                   counts={p: len(v) for p, v in per.items()}))

    previous = {pid: order[pid][order[pid].index(r) - 1] for pid, r in picked.items() if order[pid].index(r) > 0}
    before = _scores_of(scores, previous)
    travel = []
    for p in titles:
        deltas = [current[(pid, p)] - before[(pid, p)] for pid in previous
                  if (pid, p) in current and (pid, p) in before]
        travel.append(TravelRow(
            id=p, title=titles[p], n_compared=len(deltas),
            improved=sum(d >= PRINCIPLE_CHANGE for d in deltas), declined=sum(d <= -PRINCIPLE_CHANGE for d in deltas),
            unchanged=sum(-PRINCIPLE_CHANGE < d < PRINCIPLE_CHANGE for d in deltas),
            mean_change=_r(statistics.fmean(deltas)) if deltas else None))

    cov = {r[0]: (r[1], r[2]) for r in coverage.iter_rows()}
    cov_rows = [CoverageRow(partnership_id=pid, name=names[pid], n_indicators=cov[pid][0], n_with_data=cov[pid][1],
                            share=_r(cov[pid][1] / cov[pid][0]) if cov[pid][0] else None)
                for pid in names if pid in cov]
    shares = [r.share for r in cov_rows if r.share is not None]

    peers: list[PeerRow] = []
    if for_pid is not None:
        peers = _peers(for_pid, current, {r.id: r.mean for r in profile}, titles, names)
    rounds: dict[str, int] = {}
    for r in picked.values():
        rounds[r] = rounds.get(r, 0) + 1
    return Programme(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), source=source, packages=packages or [],
        round_year=round_year, partnerships=names, n_profiled=len(picked), rounds=dict(sorted(rounds.items())),
        principles=profile, weakest=[r.id for r in ranked[:N_EXTREMES]],
        strongest=[r.id for r in reversed(ranked[-N_EXTREMES:])], by_year=by_year, travel=travel,
        coverage=cov_rows, coverage_mean=_r(statistics.fmean(shares)) if shares else None,
        peers_for=for_pid, peers=peers, rules=RULES_TEXT)


def _peers(for_pid: str, current: dict[tuple[str, str], float], means: dict[str, float | None],
           titles: dict[str, str], names: dict[str, str]) -> list[PeerRow]:
    own = sorted(((s, pr) for (p, pr), s in current.items() if p == for_pid))
    if not own:
        raise C2CError(f"--for {for_pid!r} has no principle scores in the round looked at",
                       hint="no workshop round then, or fewer participants than the minimum group size")
    out = []
    for s, pr in own[:N_EXTREMES]:
        better = sorted(((-x, p) for (p, q), x in current.items() if q == pr and p != for_pid and x > s))
        ids = [p for _, p in better[:N_PEERS]]
        out.append(PeerRow(principle_id=pr, title=titles[pr], own_score=s, cohort_mean=means.get(pr), peers=ids,
                           peer_names=[names[p] for p in ids]))
    return out
