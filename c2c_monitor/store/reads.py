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
_TABLES = {"observations", "targets", "ratings", "agreed", "actions", "rounds", "vintages", "local_indicators",
           "local_observations", "stages", "group_types",
           *(f"rec_{name}" for name in DATASETS)}  # the records tables, as the records schema names them
# The temporary tables an evaluation stages: one per records dataset (the observations are no longer staged: the
# engine reads the cities' current headline rows in its statements, `current_headline_sql`).
_STAGED = {f"_rec_{name}" for name in DATASETS}
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def frame(rel: Any) -> pl.DataFrame:
    """A DuckDB relation's rows as a polars frame, through the Arrow C stream interface.

    DuckDB's own `.pl()` goes through pyarrow, whose import alone costs about 0.3 s of every command's start-up;
    polars reads the same Arrow stream itself (`__arrow_c_stream__`) without it.
    """
    import polars as pl

    return pl.DataFrame(rel)


# DuckDB types a small result is read as from Python rows (`small_frame`), with the polars type the Arrow stream
# gives them.
_ROW_TYPES = {"VARCHAR": "String", "DOUBLE": "Float64", "FLOAT": "Float32", "BIGINT": "Int64", "INTEGER": "Int32",
              "SMALLINT": "Int16", "TINYINT": "Int8", "UBIGINT": "UInt64", "UINTEGER": "UInt32", "BOOLEAN": "Boolean",
              "DATE": "Date"}


def small_frame(con: DuckDBPyConnection, sql: str, params: Sequence[Any]) -> pl.DataFrame:
    """`frame(con.sql(sql, params=params))` for a statement whose result is known to be small (one partnership's
    rows): run once and read as Python rows.

    `con.sql` binds the statement to learn its columns and then runs it, planning it a second time: for the
    records statement of one partnership the first planning was a third of its time, the rows a few hundred. Here
    the statement is planned once and its few rows are read as Python values, typed from the result's own column
    types (those the Arrow stream gives); a column of another type is read through Arrow after all.
    """
    import polars as pl

    rows = con.execute(sql, list(params)).fetchall()
    schema = {}
    for name, kind, *_ in con.description or ():
        dtype = _ROW_TYPES.get(str(kind))
        if dtype is None:
            return frame(con.sql(sql, params=list(params)))
        schema[name] = getattr(pl, dtype)
    return pl.DataFrame(rows, schema=schema, orient="row")


# A cohort of this many partnerships at most (`c2c assess`, `compare`: one or two) has reads of some hundreds of
# rows: read as rows, each statement planned once (`small_frame`).
SMALL_COHORT = 4


def read_frame(con: DuckDBPyConnection, sql: str, params: list[Any], small: bool) -> pl.DataFrame:
    """A statement's result as a polars frame: as rows (`small_frame`, planned once) when it is known to be small
    (a few partnerships', a few series'), else through Arrow, where a row costs about 3 us less."""
    if small:
        return small_frame(con, sql, params)
    out: pl.DataFrame = frame(con.sql(sql, params=params))
    return out


def vintage_bound(as_of: int | None) -> int:
    """The highest vintage a read may see: `as_of`, or every vintage."""
    return NO_LIMIT if as_of is None else as_of


def latest_sql(table: str, key: Sequence[str], where: str | None = None, select: str = "* EXCLUDE (rn)",
               inner: str = "*") -> str:
    """SQL for the newest row of each `key` in `table` among vintages up to a bound.

    The statement's first parameter is the bound (`vintage_bound(as_of)`); `where` is a fixed condition
    written in code (with its own `?` parameters after the bound), never text from an input. `inner` (code's
    column list, with the key and `vintage_id`) narrows what the window carries: it sorts every column it holds.
    """
    if table not in _TABLES:
        raise ValueError(f"not a store table: {table!r}")
    for name in (table, *key):
        if not _IDENT.match(name):
            raise ValueError(f"not an identifier: {name!r}")
    cond = "vintage_id <= ?" + (f" AND {where}" if where else "")
    return (f"SELECT {select} FROM (SELECT {inner}, row_number() OVER (PARTITION BY {', '.join(key)} "  # noqa: S608
            f"ORDER BY vintage_id DESC) AS rn FROM {table} WHERE {cond}) WHERE rn = 1")



def stage_latest(con: DuckDBPyConnection, temp: str, table: str, key: Sequence[str], where: str | None,
                 bound: int, tail: str = "", params: Sequence[Any] = ()) -> None:
    """Materialise `latest_sql(...)` as the temporary table `temp` (a checked name) for a run's later queries.

    `tail` is a fixed condition from code applied after the window (e.g. leaving out deleted rows); `params`
    are the values of `where`'s own `?` marks.
    """
    if temp not in _STAGED:
        raise ValueError(f"not a staging table: {temp!r}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {temp} AS {latest_sql(table, key, where)}{tail}",  # noqa: S608
                [bound, *params])


def records_held(con: DuckDBPyConnection, partnership_ids: Sequence[str], datasets: Sequence[str],
                 bound: int) -> dict[str, bool] | None:
    """None when none of `datasets` holds a row of the partnerships up to the bound (no records indicator then
    has a group to compute); else, for each dataset, whether those rows come from more than one vintage: only
    then can a key have two versions (a vintage holds a key once: an import refuses a file with a duplicate id),
    and only then do `current_records_sql` and `superseded_all` need their windows.

    One statement, an aggregate per table: a cohort loaded once is the common case, and for it the current rows
    are the rows as they stand. (Inside the evaluation's statement, the per-partnership check made DuckDB keep a
    copy of every row the cohort has in each table, 650,000 participants at 1,000 partnerships, to read them twice.
    Whether any row is held was a statement of its own, which asked the same tables the same question.)
    """
    for d in datasets:
        if d not in DATASETS:
            raise ValueError(f"not a records dataset: {d!r}")
    if not datasets:
        return None
    parts = [f"SELECT ? AS dataset, count(*) > 0 AS held, min(vintage_id) < max(vintage_id) AS revised "  # noqa: S608
             f"FROM rec_{d} WHERE vintage_id <= ? AND partnership_id IN (SELECT unnest(?::VARCHAR[]))"
             for d in datasets]
    params = [p for d in datasets for p in (d, bound, list(partnership_ids))]
    found = {d: (held, revised) for d, held, revised in con.execute(" UNION ALL ".join(parts), params).fetchall()}
    if not any(held for held, _ in found.values()):
        return None
    return {d: bool(found[d][1]) for d in datasets}


def current_records_sql(table: str, key: Sequence[str], where: str, revised: bool = True) -> str:
    """`latest_sql(table, key, where)` for a records table, with the window run only where a key can have two
    versions: over the partnerships whose rows (as of the bound, under `where`) span more than one vintage. A
    vintage holds a key once (an import refuses a file with a duplicate id), so the other partnerships' rows are
    their current rows as they stand, read without sorting them (at 1,000 synthetic partnerships loaded once, the
    window sorted 740,000 rows to drop none).

    `revised`: whether those rows may span more than one vintage at all (`records_held`); when they do not, the
    rows as they stand are read without looking for the partnerships that do.

    Parameters: the bound and `where`'s own values, four times over (once when not `revised`).
    """
    if "partnership_id" not in key:
        raise ValueError("the records' key holds the partnership")
    rows = f"FROM {table} WHERE vintage_id <= ? AND {where}"
    latest_sql(table, key, where)  # checks the names
    if not revised:
        return f"SELECT * {rows}"  # noqa: S608
    revised_ids = f"(SELECT partnership_id {rows} GROUP BY partnership_id HAVING min(vintage_id) < max(vintage_id))"
    windowed = latest_sql(table, key, f"{where} AND partnership_id IN {revised_ids}")
    return f"SELECT * {rows} AND partnership_id NOT IN {revised_ids} UNION ALL {windowed}"  # noqa: S608


# The columns of the observations the indicators are computed from (`current_headline_sql`).
HEADLINE_COLUMNS = "code, city_id, year, quarter, value, obs_status, vintage_id"


def current_headline_sql() -> str:
    """The current (as of a bound) headline observations of some cities and codes, deleted ones left out.

    Parameters: the bound, the city ids, the codes. Only what the indicators read is selected: the headline
    series (`disagg = ''`) of the codes asked for, with the columns they use, so the newest-version window
    sorts the fewest rows and the narrowest ones (the breakdowns and the other codes are keys of their own:
    leaving them out before the window changes no key's newest version). The cities are a bound list, which
    DuckDB checks against each row group's min/max (zone maps) and so reads only those cities' row groups.
    """
    return latest_sql("observations", ["code", "city_id", "period", "disagg"],
                      "disagg = '' AND city_id IN (SELECT unnest(?::VARCHAR[])) "
                      "AND code IN (SELECT unnest(?::VARCHAR[]))",
                      select=HEADLINE_COLUMNS + ", disagg",
                      inner=HEADLINE_COLUMNS + ", period, disagg, action") + " AND action <> 'D'"


def superseded_all(con: DuckDBPyConnection, partnership_ids: Sequence[str], as_of: int | None,
                   datasets: Sequence[str] | None = None) -> pl.DataFrame:
    """Where each replaced version of a record stood, and the vintage that replaced it, for every records
    dataset in one query: (dataset, partnership_id, date, vintage_id), up to `as_of`.

    A record moved to another date by a re-import leaves its old period: that period's figures changed with
    the replacing vintage even though no current row of it carries that vintage.

    Only the partnerships whose rows of a dataset span more than one vintage can have a replaced version (a
    vintage holds a key once: an import refuses a file with a duplicate id), so the window, which sorts every
    row it takes, runs over theirs alone: at 1,000 synthetic partnerships loaded once it sorted 740,000 rows
    to find none.

    `datasets`: the datasets to look in (default: every one); the others are known to hold no replaced version
    (`records_held`). With none to look in, no statement runs.
    """
    import polars as pl

    parts = []
    params: list[Any] = []
    for name, ds in DATASETS.items():
        if datasets is not None and name not in datasets:
            continue
        if not (_IDENT.match(name) and _IDENT.match(ds.key)):
            raise ValueError(f"not an identifier: {name!r}, {ds.key!r}")
        rows = f"FROM rec_{name} WHERE vintage_id <= ? AND partnership_id IN (SELECT unnest(?::VARCHAR[]))"
        parts.append(
            "SELECT ? AS dataset, partnership_id, \"date\", next_v AS vintage_id FROM (SELECT partnership_id, "  # noqa: S608
            f"\"date\", lead(vintage_id) OVER (PARTITION BY partnership_id, {ds.key} ORDER BY vintage_id) AS next_v "
            f"{rows} AND partnership_id IN (SELECT partnership_id {rows} GROUP BY partnership_id "
            "HAVING min(vintage_id) < max(vintage_id))) WHERE next_v IS NOT NULL")
        params += [name, vintage_bound(as_of), list(partnership_ids), vintage_bound(as_of), list(partnership_ids)]
    if not parts:
        return pl.DataFrame(schema={"dataset": pl.String, "partnership_id": pl.String, "date": pl.Date,
                                    "vintage_id": pl.Int64})
    out: pl.DataFrame = frame(con.sql(" UNION ALL ".join(parts), params=params))
    return out


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
    return rounds_of_many(con, [pid], as_of)[pid]


def rounds_of_many(con: DuckDBPyConnection, pids: Sequence[str], as_of: int | None) -> dict[str, list[str]]:
    """`rounds_of` of several partnerships in one query: id -> its rounds in the order they were held."""
    out: dict[str, list[str]] = {pid: [] for pid in pids}
    for pid, rid in con.execute(
            "SELECT partnership_id, round_id FROM rounds WHERE partnership_id IN (SELECT unnest(?::VARCHAR[])) "
            "AND vintage_id <= ? GROUP BY partnership_id, round_id ORDER BY partnership_id, min(held_on), round_id",
            [list(pids), vintage_bound(as_of)]).fetchall():
        out[pid].append(rid)
    return out


def round_ratings(con: DuckDBPyConnection, pid: str, round_id: str, as_of: int | None,
                  qualify: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The round's ratings and its agreed ratings.

    A round is the union of its sheets: of each sheet (a file, an export, a live session) the rows of its newest
    load count, so a corrected sheet replaces its own rows only (a participant or an answer it dropped is gone),
    and one sheet's `P01` is not another's. When a round holds more than one sheet, codes are returned qualified
    by their sheet (`TABLE-2/P01`) so every person counts once. Rows stored before sheets were recorded keep
    the old rule: the newest answer of each participant to each question (`round_state`, which a whole cohort's
    rounds go through at once).
    """
    import polars as pl

    keys = ["partnership_id", "round_id"]
    rows = rating_rows(con, [pid], as_of).filter(pl.col("round_id") == round_id)
    ratings = round_state(rows, keys, pl.lit(qualify))
    agreed = agreed_ratings(con, [pid], as_of).filter(pl.col("round_id") == round_id).drop(keys)
    return ratings, agreed


# The columns of a rating that scoring reads (`round_state` needs the last two).
SCORED_RATING_COLUMNS = ("partnership_id", "round_id", "participant_code", "stakeholder_group", "question_id",
                         "answer", "rating", "vintage_id", "sheet")


def rating_rows(con: DuckDBPyConnection, pids: Sequence[str], as_of: int | None,
                columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Every stored rating row of the partnerships' rounds up to `as_of`, every load of every sheet (what
    `round_state` reduces to a round's current ratings), in one query whatever their number; `columns` (names
    from `SCORED_RATING_COLUMNS`) to read only those, e.g. not the comments."""
    if columns is not None and not set(columns) <= set(SCORED_RATING_COLUMNS):
        raise ValueError(f"not a scored rating column: {sorted(set(columns) - set(SCORED_RATING_COLUMNS))}")
    select = ", ".join(columns) if columns is not None else "*"
    rows: pl.DataFrame = frame(con.sql(
        f"SELECT {select} FROM ratings WHERE vintage_id <= ? "  # noqa: S608 (checked column names)
        "AND partnership_id IN (SELECT unnest(?::VARCHAR[]))",
        params=[vintage_bound(as_of), list(pids)]))
    return rows


def rounds_rating_rows(con: DuckDBPyConnection, pids: Sequence[str], round_ids: Sequence[str], as_of: int | None,
                       columns: Sequence[str]) -> pl.DataFrame:
    """`rating_rows` of some rounds only (the i-th round: `pids[i]`, `round_ids[i]`), each row tagged with its
    round's position `_r` in those lists instead of its partnership and round ids.

    A cohort's statistics group by round many times over: one integer key hashes and compares in a fraction of
    the time of two strings, and DuckDB keeps only the rounds asked for and reads two columns less.
    """
    if not set(columns) <= set(SCORED_RATING_COLUMNS):
        raise ValueError(f"not a scored rating column: {sorted(set(columns) - set(SCORED_RATING_COLUMNS))}")
    select = ", ".join(f"t.{c}" for c in columns if c not in ("partnership_id", "round_id"))
    # (Through Arrow whatever the cohort: a partnership's rounds hold a row per person and question, thousands.)
    rows: pl.DataFrame = frame(con.sql(
        "WITH h AS (SELECT unnest(?::VARCHAR[]) AS pid, unnest(?::VARCHAR[]) AS rid, "  # noqa: S608 (checked columns)
        "unnest(range(?::BIGINT))::INTEGER AS _r) "
        f"SELECT h._r, {select} FROM ratings t JOIN h ON t.partnership_id = h.pid AND t.round_id = h.rid "
        "WHERE t.vintage_id <= ?",
        params=[list(pids), list(round_ids), len(pids), vintage_bound(as_of)]))
    return rows


def round_state(rows: pl.DataFrame, by: Sequence[str], qualify: pl.Expr) -> pl.DataFrame:
    """The current ratings of each round (each value of `by`) from its stored rows (`rating_rows`).

    Of each sheet the rows of its newest load count; rows without a sheet (stored before sheets were
    recorded) keep the newest answer of each participant to each question. Codes are qualified by their sheet
    (`TABLE-2/P01`) in a round of more than one sheet, or where `qualify` (a boolean expression over `by`,
    e.g. a literal) says so: the states of a growing round then compare as the same people. The `sheet`
    column is dropped; the order of rows within a round is not significant.
    """
    import polars as pl

    keys = list(by)
    # One person whatever the case or spaces of their code (`p01` is `P01`): imports store codes trimmed and
    # upper-cased, and sheets loaded before that are read the same way, keeping the newest answer.
    code = pl.col("participant_code").str.strip_chars().str.to_uppercase()
    # Codes already trimmed and upper-cased (as imports store them) are left as they are: checked once per distinct
    # code, where rewriting them all was a pass over every string (0.08 s over a cohort's 1.2 M rows at 1,000).
    codes = rows["participant_code"].unique()
    normal = bool((codes.str.strip_chars().str.to_uppercase() == codes).all())
    if rows["sheet"].null_count() == rows.height:
        # No sheet recorded (a workspace older than sheets, or the benchmark's cohort): every row is a legacy row,
        # and nothing is qualified, so the sheets' window and the qualifying pass over every row are skipped.
        return _newest_answers(rows if normal else rows.with_columns(code), keys).drop("sheet")
    rows = rows.with_columns(*([] if normal else [code]), pl.col("sheet").str.strip_chars().str.to_uppercase())
    sheeted = rows.filter(pl.col("sheet").is_not_null())
    sheeted = sheeted.filter(pl.col("vintage_id") == pl.col("vintage_id").max().over(*keys, "sheet"))
    legacy = _newest_answers(rows.filter(pl.col("sheet").is_null()), keys)
    both = pl.concat([legacy, sheeted])
    # A round's number of sheets, counting its rows without a sheet (null) as one more.
    n_sheets = pl.col("sheet").n_unique().over(keys)
    return both.with_columns(
        pl.when(pl.col("sheet").is_not_null() & ((n_sheets > 1) | qualify))
        .then(pl.concat_str("sheet", pl.lit("/"), "participant_code"))
        .otherwise(pl.col("participant_code")).alias("participant_code")).drop("sheet")


def _newest_answers(legacy: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Of rows without a sheet, each participant's newest answer to each question (of each value of `keys`)."""
    import polars as pl

    key = pl.struct(*keys, "participant_code", "question_id")
    # Most rounds hold one answer per participant and question (a round loaded once): when the keys' hashes are all
    # distinct, so are the keys, and every row is already its key's newest. Hashing and counting the hashes costs a
    # fifth of finding each key's first row.
    if legacy.select(key.hash().n_unique()).item() == legacy.height:
        return legacy
    # The newest first (a stable sort: rows of one load keep their stored order), then each participant's first
    # answer to each question: one grouping pass, no window of the newest load per answer before it. Rows
    # already in that order are not sorted again: a stable sort would leave them as they are.
    if not legacy["vintage_id"].is_sorted(descending=True):
        legacy = legacy.sort("vintage_id", descending=True, maintain_order=True)
    # (The rows that are the first of their key, as `unique(keep="first", maintain_order=True)` keeps them, at
    # half its cost over the 1.2 M rows of a cohort of 1,000.)
    return legacy.filter(key.is_first_distinct())


def agreed_ratings(con: DuckDBPyConnection, pids: Sequence[str], as_of: int | None) -> pl.DataFrame:
    """The agreed rating of each question of each round of the partnerships, up to `as_of`: partnership_id,
    round_id, question_id, rating, reason."""
    return read_frame(
        con, latest_sql("agreed", ["partnership_id", "round_id", "question_id"],
                        "partnership_id IN (SELECT unnest(?::VARCHAR[]))",
                        select="partnership_id, round_id, question_id, rating, reason"),
        [vintage_bound(as_of), list(pids)], len(pids) <= SMALL_COHORT)


def round_held_on(con: DuckDBPyConnection, pid: str, round_id: str) -> tuple[Any, int] | None:
    """(the date the round was held, the vintage that recorded it), or None for a round not yet recorded."""
    rows = con.execute("SELECT held_on, vintage_id FROM rounds WHERE partnership_id = ? AND round_id = ? "
                       "ORDER BY vintage_id LIMIT 1", [pid, round_id]).fetchall()
    return (rows[0][0], int(rows[0][1])) if rows else None


def round_sheets(con: DuckDBPyConnection, pid: str, round_id: str) -> list[tuple[str, int, str | None]]:
    """(sheet, vintage, content hash) of every load of every sheet of a round, oldest first."""
    return [(r[0], int(r[1]), r[2]) for r in con.execute(
        "SELECT DISTINCT r.sheet, r.vintage_id, v.content_hash FROM ratings r JOIN vintages v USING (vintage_id) "
        "WHERE r.partnership_id = ? AND r.round_id = ? AND r.sheet IS NOT NULL ORDER BY r.vintage_id",
        [pid, round_id]).fetchall()]


def round_exists(con: DuckDBPyConnection, pid: str, round_id: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM rounds WHERE partnership_id = ? AND round_id = ?",
                            [pid, round_id]).fetchall()[0][0])


def round_dates(con: DuckDBPyConnection, pids: Sequence[str], as_of: int | None) -> list[tuple[str, str, Any]]:
    """(partnership, round, date held) of every round of `pids` recorded up to `as_of`, in one query."""
    return [tuple(r) for r in con.execute(
        "SELECT partnership_id, round_id, min(held_on) FROM rounds "
        "WHERE partnership_id IN (SELECT unnest(?::VARCHAR[])) AND vintage_id <= ? "
        "GROUP BY partnership_id, round_id ORDER BY partnership_id, min(held_on), round_id",
        [list(pids), vintage_bound(as_of)]).fetchall()]


# --- follow-up actions -----------------------------------------------------------------------------------
# Columns of an action version, in the order `action_versions` returns them.
ACTION_COLUMNS = ("action_id", "principle_id", "round_id", "text", "owner", "due", "status", "alias", "principles",
                  "enablers", "priority", "timeframe")


def action_versions(con: DuckDBPyConnection, pid: str, as_of: int | None) -> list[tuple[Any, ...]]:
    """Latest version of each action of a partnership, its columns as in `ACTION_COLUMNS`."""
    return action_versions_many(con, [pid], as_of)[pid]


def action_versions_many(con: DuckDBPyConnection, pids: Sequence[str], as_of: int | None
                         ) -> dict[str, list[tuple[Any, ...]]]:
    """`action_versions` of several partnerships in one query: id -> its rows, in the same order."""
    out: dict[str, list[tuple[Any, ...]]] = {pid: [] for pid in pids}
    for r in con.execute(
            latest_sql("actions", ["partnership_id", "action_id"], "partnership_id IN (SELECT unnest(?::VARCHAR[]))",
                       select="partnership_id, " + ", ".join(ACTION_COLUMNS))
            + " ORDER BY partnership_id, principle_id, due NULLS LAST, action_id",
            [vintage_bound(as_of), list(pids)]).fetchall():
        out[r[0]].append(tuple(r[1:]))
    return out




def action_ids(con: DuckDBPyConnection, pid: str) -> set[str]:
    """Every id the partnership's actions ever had, aliases too (an id is never given out twice)."""
    rows = con.execute("SELECT DISTINCT action_id FROM actions WHERE partnership_id = ? UNION "
                       "SELECT DISTINCT alias FROM actions WHERE partnership_id = ? AND alias IS NOT NULL",
                       [pid, pid]).fetchall()
    return {r[0] for r in rows}


def action_partnership(con: DuckDBPyConnection, action_id: str) -> str | None:
    rows = con.execute("SELECT partnership_id FROM actions WHERE action_id = ? LIMIT 1", [action_id]).fetchall()
    return rows[0][0] if rows else None


def find_action(con: DuckDBPyConnection, ref: str, pid: str | None) -> list[tuple[str, str]]:
    """(partnership, short id) of the actions `ref` names: a short id (within `pid` when given) or an old alias."""
    return [(r[0], r[1]) for r in con.execute(
        "SELECT DISTINCT partnership_id, action_id FROM actions WHERE (action_id = ? OR alias = ?) "
        "AND (? IS NULL OR partnership_id = ?) ORDER BY 1, 2", [ref, ref, pid, pid]).fetchall()]


def action_history(con: DuckDBPyConnection, pid: str, action_id: str) -> list[tuple[Any, ...]]:
    """Every version of one action, oldest first: vintage id, when (ISO UTC), who, then `ACTION_COLUMNS`."""
    cols = ", ".join(f"a.{c}" for c in ACTION_COLUMNS)
    return [tuple(r) for r in con.execute(
        f"SELECT a.vintage_id, strftime(v.created_at, ?), v.who, {cols} FROM actions a "  # noqa: S608 (code's columns)
        "JOIN vintages v USING (vintage_id) WHERE a.partnership_id = ? AND a.action_id = ? ORDER BY a.vintage_id",
        [ISO_UTC, pid, action_id]).fetchall()]


# --- partnership stage and partner types ------------------------------------------------------------------
def stage_history(con: DuckDBPyConnection, pid: str, as_of: int | None) -> list[tuple[Any, ...]]:
    """Every recorded step of a partnership up to `as_of`, by date: (step, reached_on, note,
    vintage id, when recorded (ISO UTC), who)."""
    return [tuple(r) for r in con.execute(
        "SELECT s.step, s.reached_on, s.note, s.vintage_id, strftime(v.created_at, ?), v.who FROM stages s "
        "JOIN vintages v USING (vintage_id) WHERE s.partnership_id = ? AND s.vintage_id <= ? "
        "ORDER BY s.reached_on, s.vintage_id",
        [ISO_UTC, pid, vintage_bound(as_of)]).fetchall()]


def current_stages(con: DuckDBPyConnection, pids: Sequence[str], as_of: int | None) -> dict[str, tuple[int, Any]]:
    """The step with the latest date among those each partnership recorded up to `as_of` (the later record on
    the same date), and that date: id -> (step, date), those with no step left out. A step recorded late with an
    earlier date is history."""
    return {r[0]: (int(r[1]), r[2]) for r in con.execute(
        "SELECT partnership_id, step, reached_on FROM (SELECT partnership_id, step, reached_on, row_number() OVER "
        "(PARTITION BY partnership_id ORDER BY reached_on DESC NULLS LAST, vintage_id DESC) AS rn FROM stages "
        "WHERE partnership_id IN (SELECT unnest(?::VARCHAR[])) AND vintage_id <= ?) WHERE rn = 1",
        [list(pids), vintage_bound(as_of)]).fetchall()}


def group_types(con: DuckDBPyConnection, pid: str, as_of: int | None) -> dict[str, str]:
    """The confirmed mapping of the partnership's stakeholder groups to partner types."""
    return group_types_many(con, [pid], as_of)[pid]


def group_types_many(con: DuckDBPyConnection, pids: Sequence[str], as_of: int | None) -> dict[str, dict[str, str]]:
    """`group_types` of several partnerships in one query: id -> its mapping (empty when none is confirmed)."""
    out: dict[str, dict[str, str]] = {pid: {} for pid in pids}
    for pid, group, kind in con.execute(
            latest_sql("group_types", ["partnership_id", "stakeholder_group"],
                       "partnership_id IN (SELECT unnest(?::VARCHAR[]))",
                       select="partnership_id, stakeholder_group, partner_type"),
            [vintage_bound(as_of), list(pids)]).fetchall():
        out[pid][group] = kind
    return out


def stakeholder_groups(con: DuckDBPyConnection, pid: str) -> list[str]:
    """The free-text stakeholder groups the partnership's workshop ratings name, sorted."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT stakeholder_group FROM ratings WHERE partnership_id = ? AND stakeholder_group IS NOT NULL "
        "ORDER BY 1", [pid]).fetchall()]


# --- statistical data ------------------------------------------------------------------------------------
def local_targets(con: DuckDBPyConnection, as_of: int | None,
                  city_ids: Sequence[str] | None = None) -> dict[tuple[str, str], float]:
    """The cities' own 2030 targets, (code, city) -> value: of `city_ids` only when given (a partnership's
    scoreboard reads its two cities', not every target of a national workspace)."""
    if city_ids is None:
        sql, params = latest_sql("targets", ["code", "city_id"], select="code, city_id, value"), []
    else:
        sql = latest_sql("targets", ["code", "city_id"], "city_id IN (SELECT unnest(?::VARCHAR[]))",
                         select="code, city_id, value")
        params = [list(city_ids)]
    return {(r[0], r[1]): float(r[2]) for r in con.execute(sql, [vintage_bound(as_of), *params]).fetchall()}


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


def city_iso2(con: DuckDBPyConnection, city_ids: list[str]) -> dict[str, str]:
    """ISO 3166-1 alpha-2 country code of each city that has one."""
    rows = con.execute("SELECT city_id, iso2 FROM cities WHERE list_contains(?, city_id) AND iso2 IS NOT NULL",
                       [city_ids]).fetchall()
    return {str(c): str(i).strip().upper() for c, i in rows if str(i).strip()}


def local_indicators(con: DuckDBPyConnection, city_ids: list[str], as_of: int | None) -> list[dict[str, Any]]:
    """The cities' local indicators as of a vintage: definition and headline series (period, value), by city, code."""
    bound = vintage_bound(as_of)
    defs = con.execute(latest_sql("local_indicators", ["city_id", "code"],
                                  "city_id IN (SELECT unnest(?::VARCHAR[]))") + " ORDER BY city_id, code",
                       [bound, city_ids]).fetchall()
    cols = ["city_id", "code", "title", "unit", "polarity", "target_2030", "source", "vintage_id"]
    out = [dict(zip(cols, r, strict=True)) for r in defs]
    series = con.execute(latest_sql("local_observations", ["city_id", "code", "period", "disagg"],
                                    "city_id IN (SELECT unnest(?::VARCHAR[])) AND disagg = ''",
                                    select="city_id, code, period, year, quarter, value")
                         + " ORDER BY city_id, code, year, quarter", [bound, city_ids]).fetchall()
    by_key: dict[tuple[str, str], list[tuple[str, float | None]]] = {}
    for city, code, period, _y, _q, value in series:
        by_key.setdefault((city, code), []).append((period, value))
    for d in out:
        d["series"] = by_key.get((d["city_id"], d["code"]), [])
    return out


def local_current(con: DuckDBPyConnection, city_ids: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The current local definitions and observations of these cities (what a new load is compared with)."""
    bound = vintage_bound(None)
    where = "city_id IN (SELECT unnest(?::VARCHAR[]))"
    defs: pl.DataFrame = frame(con.sql(latest_sql("local_indicators", ["city_id", "code"], where,
                                                  select="city_id, code, title, unit, polarity, target_2030, "
                                                         "source"),
                                       params=[bound, city_ids]))
    obs: pl.DataFrame = frame(con.sql(latest_sql("local_observations", ["city_id", "code", "period", "disagg"],
                                                 where, select="city_id, code, period, disagg, value, obs_status"),
                                      params=[bound, city_ids]))
    return defs, obs


def vintage_span(con: DuckDBPyConnection) -> tuple[int, int, Any, Any] | None:
    """(first id, last id, first load time, last load time) of the workspace's vintages; None when it has none."""
    row = con.execute("SELECT min(vintage_id), max(vintage_id), min(created_at), max(created_at) "
                      "FROM vintages").fetchall()[0]
    return None if row[0] is None else (int(row[0]), int(row[1]), row[2], row[3])


def vintage_exists(con: DuckDBPyConnection, vintage_id: int) -> bool:
    return bool(con.execute("SELECT count(*) FROM vintages WHERE vintage_id = ?", [vintage_id]).fetchall()[0][0])
