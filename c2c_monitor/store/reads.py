"""Every read of the store that later stages make, and the "as of vintage" window, defined once.

The store is append-only: each key's current value is its row with the highest vintage. "As of vintage V"
means the same, counting only vintages up to V. `latest_sql` writes that window; every bounded read below
uses it, so the rule lives in one place. Results are plain tuples, dicts and polars frames: the models
they become belong to the stages that read them (`score/` builds the scoreboard from them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from c2c_monitor.definitions.records import DATASETS

if TYPE_CHECKING:
    import polars as pl
    from duckdb import DuckDBPyConnection

# "No limit" for an as-of bound: larger than any vintage id the store can hand out.
NO_LIMIT = 2**62

# Identifiers that may be spliced into the window's SQL: the store's tables, and column names that are plain
# lower-case words. Values are always bound parameters.
_TABLES = {"observations", "targets", "ratings", "agreed", "actions", "rounds", "vintages",
           *(f"rec_{name}" for name in DATASETS)}  # the records tables, as the records schema names them
# The temporary tables an evaluation stages: the current observations and one per records dataset.
_STAGED = {"_obs", *(f"_rec_{name}" for name in DATASETS)}
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def frame(rel: Any) -> pl.DataFrame:
    """A DuckDB relation's rows as a polars frame, through the Arrow C stream interface.

    DuckDB's own `.pl()` goes through pyarrow, whose import alone costs about 0.3 s of every command's start-up;
    polars reads the same Arrow stream itself (`__arrow_c_stream__`) without it.
    """
    import polars as pl

    return pl.DataFrame(rel)


def vintage_bound(as_of: int | None) -> int:
    """The highest vintage a read may see: `as_of`, or every vintage."""
    return NO_LIMIT if as_of is None else as_of


def latest_sql(table: str, key: Sequence[str], where: str | None = None, select: str = "* EXCLUDE (rn)") -> str:
    """SQL for the newest row of each `key` in `table` among vintages up to a bound.

    The statement's first parameter is the bound (`vintage_bound(as_of)`); `where` is a fixed condition
    written in code (with its own `?` parameters after the bound), never text from an input.
    """
    if table not in _TABLES:
        raise ValueError(f"not a store table: {table!r}")
    for name in (table, *key):
        if not _IDENT.match(name):
            raise ValueError(f"not an identifier: {name!r}")
    cond = "vintage_id <= ?" + (f" AND {where}" if where else "")
    return (f"SELECT {select} FROM (SELECT *, row_number() OVER (PARTITION BY {', '.join(key)} "  # noqa: S608
            f"ORDER BY vintage_id DESC) AS rn FROM {table} WHERE {cond}) WHERE rn = 1")



def stage_latest(con: DuckDBPyConnection, temp: str, table: str, key: Sequence[str], where: str | None,
                 bound: int, tail: str = "") -> None:
    """Materialise `latest_sql(...)` as the temporary table `temp` (a checked name) for a run's later queries.

    `tail` is a fixed condition from code applied after the window (e.g. leaving out deleted rows).
    """
    if temp not in _STAGED:
        raise ValueError(f"not a staging table: {temp!r}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {temp} AS {latest_sql(table, key, where)}{tail}",  # noqa: S608
                [bound])


# --- partnerships ------------------------------------------------------------------------------------------
def partnership_ids(con: DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT partnership_id FROM partnerships ORDER BY 1").fetchall()]


def partnership_listing(con: DuckDBPyConnection) -> list[tuple[str, str, str | None]]:
    """(id, name, theme) of every partnership, by id."""
    return [tuple(r) for r in con.execute(
        "SELECT partnership_id, name, theme FROM partnerships ORDER BY 1").fetchall()]


def partnership_row(con: DuckDBPyConnection, pid: str) -> tuple[Any, ...] | None:
    """The partnership and its two cities: (id, name, theme, sdgs, budget_eur, start_year, description,
    european city id, name, country, partner city id, name, country), or None."""
    rows = con.execute(
        "SELECT p.partnership_id, p.name, p.theme, p.sdgs, p.budget_eur, p.start_year, p.description, "
        "e.city_id, e.name, e.country, c.city_id, c.name, c.country FROM partnerships p "
        "JOIN cities e ON e.city_id = p.european_city_id JOIN cities c ON c.city_id = p.partner_city_id "
        "WHERE p.partnership_id = ?", [pid]).fetchall()
    return tuple(rows[0]) if rows else None


def partnership_rows(con: DuckDBPyConnection, pids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """`partnership_row` of several partnerships in one query: id -> row, the unknown ones left out."""
    return {r[0]: tuple(r) for r in con.execute(
        "SELECT p.partnership_id, p.name, p.theme, p.sdgs, p.budget_eur, p.start_year, p.description, "
        "e.city_id, e.name, e.country, c.city_id, c.name, c.country FROM partnerships p "
        "JOIN cities e ON e.city_id = p.european_city_id JOIN cities c ON c.city_id = p.partner_city_id "
        "WHERE p.partnership_id IN (SELECT unnest(?::VARCHAR[]))", [list(pids)]).fetchall()}


def partnerships_frame(con: DuckDBPyConnection) -> pl.DataFrame:
    """Every partnership's stored details, for an import to compare a whole file against at once."""
    df: pl.DataFrame = frame(con.sql("SELECT partnership_id, name, european_city_id, partner_city_id, theme, sdgs, "
                               "start_year, budget_eur, description FROM partnerships"))
    return df


def cities_frame(con: DuckDBPyConnection) -> pl.DataFrame:
    """Every city's id, name, country and population."""
    df: pl.DataFrame = frame(con.sql("SELECT city_id, name, country, population FROM cities"))
    return df


def some_partnership_ids(con: DuckDBPyConnection, n: int = 6) -> list[str]:
    """A few ids, for a hint after an unknown one."""
    return [r[0] for r in con.execute("SELECT partnership_id FROM partnerships ORDER BY 1 LIMIT ?", [n]).fetchall()]


# --- workshop rounds -------------------------------------------------------------------------------------
def rounds_of(con: DuckDBPyConnection, pid: str, as_of: int | None) -> list[str]:
    """The partnership's rounds as recorded up to `as_of`, in the order they were held."""
    return [r[0] for r in con.execute(
        "SELECT round_id FROM rounds WHERE partnership_id = ? AND vintage_id <= ? "
        "GROUP BY round_id ORDER BY min(held_on), round_id", [pid, vintage_bound(as_of)]).fetchall()]


def round_ratings(con: DuckDBPyConnection, pid: str, round_id: str,
                  as_of: int | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The round's ratings (newest answer of each participant to each question) and its agreed ratings."""
    bound = vintage_bound(as_of)
    ratings: pl.DataFrame = frame(con.sql(latest_sql("ratings", ["participant_code", "question_id"],
                                 "partnership_id = ? AND round_id = ?"),
                      params=[bound, pid, round_id]))
    # One person whatever the case or spaces of their code (`p01` is `P01`): imports store codes trimmed and
    # upper-cased, and sheets loaded before that are read the same way, keeping the newest answer.
    import polars as pl

    ratings = ratings.with_columns(pl.col("participant_code").str.strip_chars().str.to_uppercase())
    ratings = ratings.filter(pl.col("vintage_id") == pl.col("vintage_id").max().over("participant_code",
                                                                                      "question_id"))
    ratings = ratings.unique(subset=["participant_code", "question_id"], keep="first", maintain_order=True)
    agreed: pl.DataFrame = frame(con.sql(latest_sql("agreed", ["question_id"], "partnership_id = ? AND round_id = ?",
                                select="question_id, rating, reason"),
                     params=[bound, pid, round_id]))
    return ratings, agreed


def rounds_of_many(con: DuckDBPyConnection, pids: Sequence[str], as_of: int | None) -> dict[str, list[str]]:
    """`rounds_of` for several partnerships in one query: id -> its rounds in the order they were held."""
    out: dict[str, list[str]] = {pid: [] for pid in pids}
    for pid, rid in con.execute(
            "SELECT partnership_id, round_id FROM rounds WHERE partnership_id IN (SELECT unnest(?::VARCHAR[])) "
            "AND vintage_id <= ? GROUP BY partnership_id, round_id ORDER BY partnership_id, min(held_on), round_id",
            [list(pids), vintage_bound(as_of)]).fetchall():
        out[pid].append(rid)
    return out


def round_ratings_many(con: DuckDBPyConnection, pairs: Sequence[tuple[str, str]], as_of: int | None
                       ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`round_ratings` of several (partnership, round) pairs in two queries, whatever their number.

    Both frames carry partnership_id and round_id, so a caller splits them with one `partition_by`; each
    pair's part is what `round_ratings` returns for it (the same newest-answer rule, per pair).
    """
    import polars as pl

    bound = vintage_bound(as_of)
    pids = sorted({p for p, _ in pairs})
    rids = sorted({r for _, r in pairs})
    where = "partnership_id IN (SELECT unnest(?::VARCHAR[])) AND round_id IN (SELECT unnest(?::VARCHAR[]))"
    wanted = pl.DataFrame({"partnership_id": [p for p, _ in pairs], "round_id": [r for _, r in pairs]},
                          schema={"partnership_id": pl.String, "round_id": pl.String})
    ratings: pl.DataFrame = frame(con.sql(
        latest_sql("ratings", ["partnership_id", "round_id", "participant_code", "question_id"], where),
        params=[bound, pids, rids]))
    ratings = ratings.join(wanted, on=["partnership_id", "round_id"], how="semi", maintain_order="left")
    # One person whatever the case or spaces of their code (`p01` is `P01`): imports store codes trimmed and
    # upper-cased, and sheets loaded before that are read the same way, keeping the newest answer.
    key = ["partnership_id", "round_id", "participant_code", "question_id"]
    ratings = ratings.with_columns(pl.col("participant_code").str.strip_chars().str.to_uppercase())
    ratings = ratings.filter(pl.col("vintage_id") == pl.col("vintage_id").max().over(key))
    ratings = ratings.unique(subset=key, keep="first", maintain_order=True)
    agreed: pl.DataFrame = frame(con.sql(
        latest_sql("agreed", ["partnership_id", "round_id", "question_id"], where,
                   select="partnership_id, round_id, question_id, rating, reason"),
        params=[bound, pids, rids]))
    agreed = agreed.join(wanted, on=["partnership_id", "round_id"], how="semi", maintain_order="left")
    return ratings, agreed


def round_exists(con: DuckDBPyConnection, pid: str, round_id: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM rounds WHERE partnership_id = ? AND round_id = ?",
                            [pid, round_id]).fetchall()[0][0])


# --- follow-up actions -----------------------------------------------------------------------------------
def action_versions(con: DuckDBPyConnection, pid: str, as_of: int | None) -> list[tuple[Any, ...]]:
    """Latest version of each action: (action_id, principle_id, round_id, text, owner, due, status)."""
    return [tuple(r) for r in con.execute(
        latest_sql("actions", ["action_id"], "partnership_id = ?",
                   select="action_id, principle_id, round_id, text, owner, due, status")
        + " ORDER BY principle_id, due NULLS LAST, action_id", [vintage_bound(as_of), pid]).fetchall()]


def action_versions_many(con: DuckDBPyConnection, pids: Sequence[str], as_of: int | None
                         ) -> dict[str, list[tuple[Any, ...]]]:
    """`action_versions` of several partnerships in one query: id -> its rows, in the same order."""
    out: dict[str, list[tuple[Any, ...]]] = {pid: [] for pid in pids}
    for r in con.execute(
            latest_sql("actions", ["partnership_id", "action_id"], "partnership_id IN (SELECT unnest(?::VARCHAR[]))",
                       select="partnership_id, action_id, principle_id, round_id, text, owner, due, status")
            + " ORDER BY partnership_id, principle_id, due NULLS LAST, action_id",
            [vintage_bound(as_of), list(pids)]).fetchall():
        out[r[0]].append(tuple(r[1:]))
    return out


def action_ids(con: DuckDBPyConnection, pid: str) -> set[str]:
    return {r[0] for r in con.execute("SELECT DISTINCT action_id FROM actions WHERE partnership_id = ?",
                                      [pid]).fetchall()}


def action_partnership(con: DuckDBPyConnection, action_id: str) -> str | None:
    rows = con.execute("SELECT partnership_id FROM actions WHERE action_id = ? LIMIT 1", [action_id]).fetchall()
    return rows[0][0] if rows else None


# --- statistical data ------------------------------------------------------------------------------------
def local_targets(con: DuckDBPyConnection, as_of: int | None) -> dict[tuple[str, str], float]:
    """The cities' own 2030 targets, (code, city) -> value."""
    return {(r[0], r[1]): float(r[2]) for r in con.execute(
        latest_sql("targets", ["code", "city_id"], select="code, city_id, value"),
        [vintage_bound(as_of)]).fetchall()}


def observations(con: DuckDBPyConnection, city_ids: list[str], codes: list[str],
                 as_of: int | None) -> pl.DataFrame:
    """Current observations of some cities and codes (deleted ones left out), as a polars frame."""
    out: pl.DataFrame = frame(con.sql(
        latest_sql("observations", ["code", "city_id", "period", "disagg"],
                   "city_id IN (SELECT unnest(?::VARCHAR[])) AND code IN (SELECT unnest(?::VARCHAR[]))",
                   select="code, city_id, period, disagg, value, unit, obs_status")
        + " AND action <> 'D' ORDER BY code, city_id, disagg, year, quarter",
        params=[vintage_bound(as_of), city_ids, codes]))
    return out


def vintages(con: DuckDBPyConnection, as_of: int | None) -> list[tuple[Any, ...]]:
    """(vintage_id, created_at, kind, source, content_hash, n_rows) of every vintage up to `as_of`."""
    return [tuple(r) for r in con.execute(
        "SELECT vintage_id, created_at, kind, source, content_hash, n_rows FROM vintages WHERE vintage_id <= ? "
        "ORDER BY vintage_id", [vintage_bound(as_of)]).fetchall()]


# Vintages' created_at is stored as UTC without a zone (schema.new_vintage); machines read it back as
# ISO 8601 with the zone written out, the form of every other timestamp in c2c's JSON (generated_at).
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


def vintage_log(con: Any) -> Any:
    """Every vintage with who loaded it, when (ISO 8601 in UTC), what and its content hash, as a polars frame."""
    return frame(con.sql("SELECT vintage_id, strftime(created_at, ?) AS loaded, who, kind, source, "
                   "left(content_hash, 12) AS hash, n_rows FROM vintages ORDER BY vintage_id", params=[ISO_UTC]))


def series_revisions(con: Any, code: str, city: str | None) -> Any:
    """Every stored version of one code's observations (one city or all), oldest vintage first."""
    return frame(con.sql(
        "SELECT code, city_id, period, disagg, value, obs_status, action, o.vintage_id, "
        "strftime(v.created_at, ?) AS loaded "
        "FROM observations o JOIN vintages v USING (vintage_id) WHERE code = ? AND (? IS NULL OR city_id = ?) "
        "ORDER BY city_id, period, disagg, o.vintage_id", params=[ISO_UTC, code, city, city]))
