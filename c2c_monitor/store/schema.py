"""The workspace store schema, its version, and the migrations from the first release on.

Observations, records and ratings are append-only: every load is one vintage,
and the current state is the newest vintage of each key. Snapshots are
immutable: nothing in the code updates or deletes them.
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from c2c_monitor.definitions.records import DATASETS, SQL_TYPES
from c2c_monitor.errors import WorkspaceError

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

SCHEMA_VERSION = 4


def _records_ddl() -> list[str]:
    out = []
    for ds in DATASETS.values():
        cols = ", ".join(f'"{c.name}" {SQL_TYPES[c.type]}' for c in ds.columns)
        out.append(f'CREATE TABLE rec_{ds.name} ({cols}, vintage_id BIGINT NOT NULL)')
    return out


def _records_views() -> list[str]:
    out = []
    for ds in DATASETS.values():
        out.append(
            f"CREATE OR REPLACE VIEW cur_{ds.name} AS SELECT * EXCLUDE (rn) FROM ("  # noqa: S608 (schema from code)
            f"SELECT *, row_number() OVER (PARTITION BY partnership_id, \"{ds.key}\" "
            f"ORDER BY vintage_id DESC) AS rn FROM rec_{ds.name}) WHERE rn = 1"
        )
    return out


# Each migration takes the store from version N-1 to N. Never edit a released one.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
        "CREATE TABLE vintages (vintage_id BIGINT PRIMARY KEY, created_at TIMESTAMP NOT NULL, "
        "who VARCHAR, kind VARCHAR NOT NULL, source VARCHAR, content_hash VARCHAR, n_rows BIGINT, "
        "note VARCHAR)",
        "CREATE TABLE cities (city_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, country VARCHAR, "
        "iso2 VARCHAR, population DOUBLE, region VARCHAR)",
        "CREATE TABLE partnerships (partnership_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, "
        "european_city_id VARCHAR NOT NULL, partner_city_id VARCHAR NOT NULL, theme VARCHAR, "
        "sdgs VARCHAR, start_year INTEGER, budget_eur DOUBLE, description VARCHAR)",
        "CREATE TABLE observations (code VARCHAR NOT NULL, city_id VARCHAR NOT NULL, "
        "period VARCHAR NOT NULL, year INTEGER NOT NULL, quarter INTEGER NOT NULL, "
        "disagg VARCHAR NOT NULL DEFAULT '', value DOUBLE, unit VARCHAR, obs_status VARCHAR, "
        "action VARCHAR NOT NULL DEFAULT 'A', vintage_id BIGINT NOT NULL)",
        "CREATE TABLE targets (code VARCHAR NOT NULL, city_id VARCHAR NOT NULL, value DOUBLE NOT NULL, "
        "year INTEGER, source VARCHAR, vintage_id BIGINT NOT NULL)",
        *_records_ddl(),
        "CREATE TABLE rounds (partnership_id VARCHAR NOT NULL, round_id VARCHAR NOT NULL, "
        "held_on DATE, label VARCHAR, vintage_id BIGINT NOT NULL)",
        "CREATE TABLE ratings (partnership_id VARCHAR NOT NULL, round_id VARCHAR NOT NULL, "
        "participant_code VARCHAR NOT NULL, stakeholder_group VARCHAR, city_id VARCHAR, "
        "question_id VARCHAR NOT NULL, answer VARCHAR NOT NULL, rating INTEGER, comment VARCHAR, "
        "vintage_id BIGINT NOT NULL)",
        "CREATE TABLE agreed (partnership_id VARCHAR NOT NULL, round_id VARCHAR NOT NULL, "
        "question_id VARCHAR NOT NULL, rating INTEGER NOT NULL, reason VARCHAR NOT NULL, "
        "vintage_id BIGINT NOT NULL)",
        "CREATE TABLE actions (action_id VARCHAR NOT NULL, partnership_id VARCHAR NOT NULL, "
        "principle_id VARCHAR NOT NULL, round_id VARCHAR, text VARCHAR NOT NULL, owner VARCHAR, "
        "due DATE, status VARCHAR NOT NULL, vintage_id BIGINT NOT NULL)",
        "CREATE TABLE snapshots (snapshot_id VARCHAR PRIMARY KEY, partnership_id VARCHAR NOT NULL, "
        "created_at TIMESTAMP NOT NULL, catalog_version VARCHAR, framework_version VARCHAR, "
        "list VARCHAR, period VARCHAR, max_vintage BIGINT, payload JSON NOT NULL)",
        "CREATE VIEW cur_observations AS SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER "
        "(PARTITION BY code, city_id, period, disagg ORDER BY vintage_id DESC) AS rn "
        "FROM observations) WHERE rn = 1 AND action <> 'D'",
        *_records_views(),
    ],
    # A city's local indicators (issue 15): series of its own SDG platform that map to no catalogue indicator.
    # Kept apart from `observations` so that nothing harmonised (scores, comparisons) can ever read them.
    2: [
        "CREATE TABLE local_indicators (city_id VARCHAR NOT NULL, code VARCHAR NOT NULL, title VARCHAR NOT NULL, "
        "unit VARCHAR, polarity VARCHAR, target_2030 DOUBLE, source VARCHAR, vintage_id BIGINT NOT NULL)",
        "CREATE TABLE local_observations (city_id VARCHAR NOT NULL, code VARCHAR NOT NULL, period VARCHAR NOT NULL, "
        "year INTEGER NOT NULL, quarter INTEGER NOT NULL, disagg VARCHAR NOT NULL DEFAULT '', value DOUBLE, "
        "obs_status VARCHAR, vintage_id BIGINT NOT NULL)",
    ],
    # Issue 18: the action plan as the health check's implementation plan (seed 001, Annex 4), the step of
    # the City Partnerships process a partnership reached (seed 000) and the facilitator's mapping of
    # free-text stakeholder groups to UN-Habitat's partner types (seed 003).
    3: [
        "ALTER TABLE actions ADD COLUMN alias VARCHAR",
        "ALTER TABLE actions ADD COLUMN principles VARCHAR",
        "ALTER TABLE actions ADD COLUMN enablers VARCHAR",
        "ALTER TABLE actions ADD COLUMN priority INTEGER",
        "ALTER TABLE actions ADD COLUMN timeframe VARCHAR",
        # Short ids per partnership (A-001, ...) in the order the actions were first recorded; the old id
        # (a partnership-wide name) stays as the alias, so scripts and notes that quote it still find it.
        "UPDATE actions SET alias = actions.action_id, action_id = m.new_id FROM (SELECT partnership_id AS pid, "
        "action_id AS old, 'A-' || lpad(CAST(row_number() OVER (PARTITION BY partnership_id ORDER BY "
        "min(vintage_id), length(action_id), action_id) AS VARCHAR), 3, '0') AS new_id FROM actions "
        "GROUP BY partnership_id, action_id) AS m "
        "WHERE actions.partnership_id = m.pid AND actions.action_id = m.old",
        "UPDATE actions SET principles = principle_id WHERE principles IS NULL",
        "CREATE TABLE stages (partnership_id VARCHAR NOT NULL, step INTEGER NOT NULL, reached_on DATE, "
        "note VARCHAR, vintage_id BIGINT NOT NULL)",
        "CREATE TABLE group_types (partnership_id VARCHAR NOT NULL, stakeholder_group VARCHAR NOT NULL, "
        "partner_type VARCHAR NOT NULL, vintage_id BIGINT NOT NULL)",
    ],
    # Sheets of one round merge: each rating remembers the sheet (file, phone export or live session) it came
    # from, so participant codes are told apart per sheet and a corrected sheet replaces only its own rows.
    # Ratings stored before have no sheet and are read as before.
    4: ["ALTER TABLE ratings ADD COLUMN sheet VARCHAR"],
}


def migrate(con: DuckDBPyConnection, db: Path) -> None:
    import duckdb

    # The version read straight away, a missing `meta` table meaning a new store: every command opens the store
    # through here, and asking information_schema first cost a few tens of milliseconds of each one's start.
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    except duckdb.CatalogException:
        rows = []
    current = int(rows[0][0]) if rows else 0
    if current > SCHEMA_VERSION:
        raise WorkspaceError(
            f"{db}: store schema version {current} is newer than this c2c ({SCHEMA_VERSION})",
            hint="upgrade c2c-monitor",
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            for stmt in MIGRATIONS[version]:
                con.execute(stmt)
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)]
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


STORE_TABLES = frozenset(
    {"cities", "partnerships", "observations", "targets", "rounds", "ratings", "agreed", "actions",
     "local_indicators", "local_observations", "stages", "group_types",
     *(f"rec_{d}" for d in DATASETS)}
)


# The order rows are written in, per table: observations are read by city (one partnership's two cities) and
# then by code, so each load is stored sorted that way (issue 19: the store was in load order, and reading one
# partnership scanned every row group of a national workspace).
CLUSTER_KEYS: dict[str, tuple[str, ...]] = {"observations": ("city_id", "code", "disagg", "year", "quarter")}


def keep_clustered(con: DuckDBPyConnection, table: str, appended: int) -> bool:
    """After a load appended `appended` rows to `table`: rewrite the whole table in `CLUSTER_KEYS` order when the
    rows appended since the last rewrite have grown as many as the rows that rewrite sorted. True if it did.

    Each load lands sorted (`insert_frame`), but then a city's rows sit in one row group per load: after 40
    quarterly loads, reading one partnership scanned 40 of 80 row groups (issue 19). Rewriting at each doubling
    keeps the unsorted tail under half the table and the few loads since the last rewrite, while no row is
    rewritten more than about twice over the table's life; a load into an empty table is one sorted run already.
    The rewrite is one transaction of its own (the load before it is already committed): all or nothing.
    """
    order = CLUSTER_KEYS.get(table)
    if not order or table not in STORE_TABLES or appended <= 0:
        return False
    key = f"clustered_rows:{table}"
    total = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])  # noqa: S608 (a store table)
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
    clustered = int(rows[0][0]) if rows else 0  # 0: never rewritten (a store from before, or a new one)
    rewrite = total > appended and total - clustered >= clustered
    with transaction(con):
        if rewrite:
            cols = ", ".join((*order, "vintage_id"))
            con.execute(f"CREATE OR REPLACE TEMP TABLE _recluster AS SELECT * FROM {table} "  # noqa: S608
                        f"ORDER BY {cols}")
            con.execute(f"DELETE FROM {table}")  # noqa: S608
            con.execute(f"INSERT INTO {table} SELECT * FROM _recluster")  # noqa: S608
            con.execute("DROP TABLE _recluster")
        if rewrite or total == appended:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, str(total)])
    if rewrite:
        # The old row groups stay, their rows marked deleted, until a checkpoint drops them; until then their
        # zone maps still cover every city and a read would scan them.
        con.execute("CHECKPOINT")
    return rewrite


def table_columns(con: DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def insert_frame(con: DuckDBPyConnection, table: str, df: Any, in_order: bool = False,
                 vintage_id: int | None = None) -> int:
    """Append a polars frame to a store table, matching columns by name.

    The table must be one of the store's own and every column one the table has,
    so no identifier reaches SQL unchecked; the rows travel as an Arrow scan. `in_order`: the caller's rows
    are in the table's `CLUSTER_KEYS` order already (a validated batch), not checked again. `vintage_id`: the
    load's vintage, every row's, bound as one parameter (how every load stamps its rows) rather than carried as
    a column of copies of one number.
    """
    if table not in STORE_TABLES:
        raise ValueError(f"not a store table: {table!r}")
    known = table_columns(con, table)
    names = [*df.columns, *(["vintage_id"] if vintage_id is not None else [])]
    unknown = [c for c in names if c not in known]
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"{table}: no column(s) {unknown}" if unknown else f"{table}: vintage_id given twice")
    cols = ", ".join('"' + c + '"' for c in df.columns)
    if vintage_id is None:
        sql = "INSERT INTO " + table + " (" + cols + ") SELECT " + cols + " FROM _incoming"  # noqa: S608
    else:
        sql = ("INSERT INTO " + table + " (" + cols + ", vintage_id) SELECT " + cols  # noqa: S608
               + ", ?::BIGINT FROM _incoming")
    order = CLUSTER_KEYS.get(table)
    if order and not in_order and all(c in df.columns for c in order):
        # Each vintage lands sorted, so its row groups hold narrow ranges of the clustering key and DuckDB's
        # zone maps (min/max per row group) skip the rest when one partnership's cities are read. Sorted by
        # polars before the scan (DuckDB inserts an Arrow scan in its order), in the order DuckDB's ORDER BY
        # gives (byte order, nulls last): DuckDB's own ORDER BY materialises every column in its row format,
        # 1.6 s of CPU more than the insert at 3 M rows, where polars sorts the key columns and gathers.
        df = sort_for_store(df, table)
    return _run_with_frame(con, sql, _arrow_view(df), [] if vintage_id is None else [vintage_id])


def sort_for_store(df: Any, table: str) -> Any:
    """The polars frame `df` sorted by `table`'s `CLUSTER_KEYS`, in the order DuckDB's ORDER BY gives (byte order,
    nulls last; ties kept in the frame's order, as polars' stable sort keeps them).

    polars' sort on several columns compares rows key by key: 8.4-8.7 s for a shuffled batch of 10 M rows, of
    which the gather of the rows took 0.15 s. So each key is first turned into its rank among the key's distinct
    values (strings: the distinct values sorted, a lookup; enums: their categories' ranks; integers: the distance
    from the smallest), the ranks are combined into one integer per row, and one stable sort of that integer gives
    the order: 0.75-0.77 s for the same batch (benchmarks/sort-2026-11-30-session14.txt). A frame whose ranks do
    not fit 63 bits, or with a key of another type, is sorted by polars on the ranks it has and the other keys as
    they are.
    """
    import polars as pl

    keys = list(CLUSTER_KEYS[table])
    if df.height < 2:
        return df
    ranks = [_rank(df[k]) for k in keys]  # (ranks, how many) per key, or None
    # polars' own sort, on the ranks where there are (an enum's own order is its categories', not its text's)
    fallback = [df[k] if r is None else r[0] for k, r in zip(keys, ranks, strict=True)]
    combined: Any = None
    span = 1
    for r in reversed(ranks):  # the last key varies fastest
        if r is None:
            return df.sort(fallback, nulls_last=True, maintain_order=True)
        rank, n = r
        combined = rank * span if combined is None else combined + rank * span
        span *= n
        if span >= 1 << 63:
            return df.sort(fallback, nulls_last=True, maintain_order=True)
    if combined.is_sorted():  # in order already (a file written in the store's order): no copy of the rows
        return df
    order = pl.DataFrame({"_k": combined}).select(pl.arg_sort_by("_k", maintain_order=True)).to_series()
    # A gather from a column in hundreds of chunks (a large file's read) looks up each row's chunk: 0.35 s for a
    # 10 M-row batch, against 0.05-0.12 s to put each column in one piece first and 0.05-0.12 s to gather from it.
    return df.rechunk()[order]


def _rank(s: Any) -> tuple[Any, int] | None:
    """Each value's rank among the distinct values of `s` in byte order (nulls after them all) as a UInt64 Series,
    and how many ranks there are; None for a type ranked here in no cheap way (polars' sort takes it)."""
    import polars as pl

    u64 = pl.UInt64
    if s.dtype == pl.String:
        distinct = s.drop_nulls().unique().sort()
        n = distinct.len()
        return s.replace_strict(distinct, pl.int_range(n, dtype=u64, eager=True), default=None,
                                return_dtype=u64).fill_null(n), n + 1
    if isinstance(s.dtype, pl.Enum):
        # The categories may be in any order: the rank of a row is its category's place among them sorted.
        categories = s.dtype.categories
        n = categories.len()
        place = categories.arg_sort().arg_sort().cast(u64)  # category index -> its rank in byte order
        return place.gather(s.to_physical()).fill_null(n), n + 1
    if s.dtype.is_integer() and s.dtype != pl.UInt64:  # (UInt64 may not fit the Int64 the distance is taken in)
        low, high = s.min(), s.max()
        if low is None:  # all null: one rank
            return pl.repeat(0, s.len(), dtype=u64, eager=True), 1
        n = int(high) - int(low) + 1
        return (s.cast(pl.Int64) - int(low)).cast(u64).fill_null(n), n + 1
    return None


def repeated_keys(df: Any, keys: list[str] | tuple[str, ...]) -> bool:
    """True when two neighbouring rows of `df` have the same `keys` (nulls alike): for a frame sorted by `keys`,
    whether any key repeats at all."""
    import polars as pl

    if df.height < 2:
        return False
    same = pl.all_horizontal([pl.col(k).eq_missing(pl.col(k).shift(1)) for k in keys])
    return bool(df.select(same.slice(1).any()).item())  # (row 0 has no row before it)


def _arrow_view(df: Any) -> Any:
    """A polars frame of text and numbers as Arrow with its strings as Arrow string views, without a copy.

    DuckDB reads a polars frame through `to_arrow()`, which copies every string into the classic Arrow layout
    (0.4 s of CPU, one thread, for the 3 M rows of a bulk load); DuckDB reads string views as they are.
    Enums (validation's key columns) travel as Arrow dictionaries of string views, which DuckDB stores as text.
    Other column types (dates, categoricals) keep the frame, read as before."""
    import polars as pl

    newest = getattr(pl, "CompatLevel", None)  # polars 1.1 and later
    if newest is None or not isinstance(df, pl.DataFrame) or not all(
            t == pl.String or t == pl.Boolean or t.is_numeric() or isinstance(t, pl.Enum) for t in df.dtypes):
        return df
    return df.to_arrow(compat_level=newest.newest())


def _run_with_frame(con: DuckDBPyConnection, sql: str, df: Any, params: list[Any] | None = None) -> int:
    """Run `sql` with the frame registered as `_incoming` (and unregistered whatever happens); its row count."""
    con.register("_incoming", df)
    try:
        con.execute(sql, params or [])
    finally:
        con.unregister("_incoming")
    return len(df)  # a polars frame's height, an Arrow table's rows


def update_frame(con: DuckDBPyConnection, table: str, key: str, df: Any) -> int:
    """Overwrite, in a store table, the rows whose `key` is in the frame with the frame's other columns.

    For master data (partnerships, cities), which has no vintages; the same identifier checks as
    `insert_frame`, and one statement for the whole frame rather than one per row.
    """
    if table not in STORE_TABLES:
        raise ValueError(f"not a store table: {table!r}")
    known = table_columns(con, table)
    unknown = [c for c in df.columns if c not in known]
    if unknown or key not in df.columns:
        raise ValueError(f"{table}: no column(s) {unknown or [key]}")
    sets = ", ".join(f'"{c}" = _incoming."{c}"' for c in df.columns if c != key)
    sql = f'UPDATE {table} SET {sets} FROM _incoming WHERE {table}."{key}" = _incoming."{key}"'  # noqa: S608
    return _run_with_frame(con, sql, df)


@contextmanager
def transaction(con: DuckDBPyConnection) -> Iterator[None]:
    """All or nothing: commit when the block ends, roll back on any exception (KeyboardInterrupt too)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def new_vintage(con: DuckDBPyConnection, kind: str, source: str | None, content: bytes | None, n_rows: int,
                note: str | None = None) -> int:
    """Register a vintage inside the caller's transaction and return its id."""
    vid = con.execute("SELECT coalesce(max(vintage_id), 0) + 1 FROM vintages").fetchall()[0][0]
    digest = hashlib.sha256(content).hexdigest() if content is not None else None
    try:
        who = getpass.getuser()
    except Exception:  # no login name in some containers
        who = "unknown"
    con.execute(
        "INSERT INTO vintages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [vid, datetime.now(UTC).replace(tzinfo=None), who, kind, source, digest, n_rows, note],
    )
    return int(vid)


def vintage_for_date(con: DuckDBPyConnection, when: str) -> int:
    row = con.execute(
        "SELECT max(vintage_id) FROM vintages WHERE created_at <= CAST(? AS TIMESTAMP)", [when]
    ).fetchall()[0]
    return int(row[0] or 0)
