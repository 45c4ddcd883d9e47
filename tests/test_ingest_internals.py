"""Internals of ingestion held to their plain definitions: the per-row lookup, the vintage hash, the store order."""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from c2c_monitor.ingest.load import _skip_lines, content_hash
from c2c_monitor.ingest.validate import _lookup

keys = st.one_of(st.none(), st.sampled_from(["2024", "2024-Q1", "2023-Q4", "", " 2024", "x"]))


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(keys, max_size=40), table_keys=st.lists(keys, max_size=8, unique=True))
def test_lookup_gives_what_a_left_join_gives(rows: list[str | None], table_keys: list[str | None]) -> None:
    df = pl.DataFrame({"period": rows, "n": list(range(len(rows)))}, schema={"period": pl.String, "n": pl.Int64})
    table = pl.DataFrame({"period": table_keys, "year": [len(k or "") for k in table_keys],
                          "canon": [(k or "").strip().upper() for k in table_keys]},
                         schema={"period": pl.String, "year": pl.Int32, "canon": pl.String})
    got = _lookup(df, "period", table, ["year", "canon"])
    # A null key never matches (the table's null row is ignored), as in a join without nulls_equal.
    want = df.join(table.filter(pl.col("period").is_not_null()), on="period", how="left", maintain_order="left")
    assert got.columns == want.columns
    assert got.to_dicts() == want.to_dicts()


def test_content_hash_is_sha256_of_names_and_bytes_across_chunks(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(b"x" * (5 << 20) + b"tail")  # longer than one 4 MB read
    b.write_bytes(b"")
    whole = hashlib.sha256(b"a.csv\0" + a.read_bytes() + b"b.csv\0").hexdigest()
    assert content_hash([a, b]) == whole
    assert content_hash([b, a]) != whole  # the order of the files is part of the vintage
    # A refused batch stops the hash (started in a thread before reading) at its next chunk.
    stop = threading.Event()
    stop.set()
    assert content_hash([a, b], stop) == ""


# Key parts that sort differently by bytes and by other rules: case, accents, prefixes, the empty string, nulls.
_texts = st.one_of(st.none(), st.sampled_from(["", "a", "ab", "b", "B", "é", "e", "c000001", "c00001", "z"]))
_obs_keys = st.tuples(_texts, _texts, _texts, st.one_of(st.none(), st.integers(2014, 2016)), st.integers(-1, 4))


_TEXT_VALUES = ["", "a", "ab", "b", "B", "é", "e", "c000001", "c00001", "z", "unused"]


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(_obs_keys, max_size=30), presort=st.booleans(),
       kinds=st.tuples(*[st.sampled_from(["string", "enum"])] * 3), categories=st.permutations(_TEXT_VALUES),
       year_type=st.sampled_from([pl.Int32, pl.Int64, pl.UInt16, pl.Float64]))
@example(rows=[("a", "a", "", 2016, 4), ("a", "a", "", 2014, -1)], presort=False, kinds=("string",) * 3,
         categories=_TEXT_VALUES, year_type=pl.Int32)
def test_store_order_is_polars_sort_and_repeated_keys_are_duplicates(rows: list[tuple[Any, ...]], presort: bool,
                                                                     kinds: tuple[str, ...], categories: list[str],
                                                                     year_type: Any) -> None:
    """Validation sorts a batch as the store keeps it and finds duplicate keys as sorted neighbours: the sort
    (of rows in any order, or in order already) must give polars' stable sort of the keys as text, nulls last,
    and the neighbour check must see exactly the batches `is_duplicated` sees.

    `sort_for_store` sorts on one integer made of each key's rank: the keys come as text or as enums whose
    categories are in any order (validation's lookups give enums), and a year of a type it does not rank
    (a float) takes polars' own sort."""
    from c2c_monitor.store.schema import CLUSTER_KEYS, repeated_keys, sort_for_store

    keys = list(CLUSTER_KEYS["observations"])
    df = pl.DataFrame(rows, schema={"city_id": pl.String, "code": pl.String, "disagg": pl.String,
                                    "year": year_type, "quarter": pl.Int32}, orient="row").with_row_index("n")
    want = df.sort(keys, nulls_last=True, maintain_order=True)
    enum = pl.Enum(categories)
    df = df.with_columns(pl.col(c).cast(enum) for c, kind in zip(keys, kinds, strict=False) if kind == "enum")
    want = want.with_columns(pl.col(c).cast(enum) for c, kind in zip(keys, kinds, strict=False) if kind == "enum")
    if presort:
        df = want
    got = sort_for_store(df, "observations")
    assert got.to_dicts() == want.to_dicts()  # same rows, same order, ties in their order in the frame
    assert repeated_keys(got, keys) == bool(df.select(keys).is_duplicated().any())


_batch_rows = st.lists(st.tuples(st.sampled_from(["poverty_rate", "unemployment_rate"]), st.sampled_from(["a", "b"]),
                                 st.sampled_from(["2020", "2020-Q1", "2021", "not a period", None]),
                                 st.sampled_from(["", "sex=female"])), max_size=25)


@settings(max_examples=150, deadline=None)
@given(rows=_batch_rows)
def test_duplicate_keys_are_found_at_each_repeat_and_the_good_rows_come_sorted(
        rows: list[tuple[str, str, str | None, str]]) -> None:
    """Validation finds duplicates as neighbours of its sorted batch: every row whose indicator, area, period and
    disaggregation an earlier line already gave is a duplicate-key finding at its line, as by the plain
    definition, and the good rows come in the store's order."""
    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.ingest.mapping import Mapping
    from c2c_monitor.ingest.validate import validate

    frame = pl.DataFrame({
        "_file": ["f.csv"] * len(rows), "_line": list(range(2, len(rows) + 2)),
        "source_code": [r[0] for r in rows], "area": [r[1] for r in rows], "period": [r[2] for r in rows],
        "value": ["1"] * len(rows), "unit": [None] * len(rows), "obs_status": [None] * len(rows),
        "disagg": [r[3] for r in rows], "action": ["A"] * len(rows)},
        schema={"_file": pl.String, "_line": pl.Int64, "source_code": pl.String, "area": pl.String,
                "period": pl.String, "value": pl.String, "unit": pl.String, "obs_status": pl.String,
                "disagg": pl.String, "action": pl.String})
    checked = validate(frame, load_catalogue(), {"a", "b"}, Mapping(), strict=True)
    seen: set[tuple[str, str, str, str]] = set()
    want = []
    for line, (code, area, period, disagg) in enumerate(rows, 2):
        if period in (None, "not a period"):
            continue  # (its own finding)
        if (code, area, period, disagg) in seen:
            want.append(line)
        seen.add((code, area, period, disagg))
    assert [f.row for f in checked.findings if f.code == "duplicate-key"] == want
    keys = ["city_id", "code", "disagg", "year", "quarter"]
    assert checked.good.select(keys).rows() == sorted(checked.good.select(keys).rows())


_CODE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789", min_size=1, max_size=12)


@given(indicators=st.dictionaries(_CODE, st.integers(1, 500), max_size=30),
       areas=st.dictionaries(_CODE, st.integers(1, 500), max_size=30),
       series=st.dictionaries(_CODE, st.tuples(st.sampled_from(["no rows for the city's area 1", "years only"]),
                                                st.integers(1, 500)), max_size=30),
       other=st.dictionaries(st.sampled_from(["blank period", "value is text"]), st.integers(1, 500)))
def test_summary_counts_every_skipped_row_once_in_one_line_per_kind_and_reason(indicators, areas, series,
                                                                                other) -> None:
    skipped = {f"indicator {c!r} not mapped to the catalogue": n for c, n in indicators.items()}
    skipped |= {f"area {c!r} not mapped to a workspace city": n for c, n in areas.items()}
    skipped |= {f"series {c!r} left out by the mapping ({why})": n for c, (why, n) in series.items()}
    skipped |= other
    lines = _skip_lines(skipped)
    counted = [int(re.match(r"skipped (\d+) row\(s\)", line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert sum(counted) == sum(skipped.values())
    reasons = {why for why, _ in series.values()}
    assert len(lines) == bool(indicators) + bool(areas) + len(reasons) + len(other)
    if indicators:
        line = next(x for x in lines if "indicator code(s) not mapped" in x)
        assert f"of {len(indicators)} indicator code(s)" in line
        assert all(c in line for c in list(indicators)[:8])
        assert (f"and {len(indicators) - 8} more" in line) == (len(indicators) > 8)


def test_keys_too_wide_for_one_integer_take_polars_sort() -> None:
    """Ranks whose product passes 63 bits cannot share one integer: the store sort then falls back to polars'
    sort of the keys, and gives the same order."""
    from c2c_monitor.store.schema import sort_for_store

    big = 1 << 40
    df = pl.DataFrame({"city_id": ["b", "a", "b", "a"], "code": ["x", "x", "y", "x"], "disagg": ["", "", "", ""],
                       "year": [big, -big, 0, big], "quarter": [big, 1, -big, 0]},
                      schema={"city_id": pl.String, "code": pl.String, "disagg": pl.String, "year": pl.Int64,
                              "quarter": pl.Int64})
    got = sort_for_store(df, "observations")
    assert got.rows() == [("a", "x", "", -big, 1), ("a", "x", "", big, 0), ("b", "x", "", big, big),
                          ("b", "y", "", 0, -big)]


@settings(max_examples=200, deadline=None)
@given(lengths=st.lists(st.integers(0, 6), min_size=1, max_size=8), pieces=st.integers(1, 4),
       values=st.data())
def test_a_column_cut_like_the_batch_keeps_its_values_in_the_batch_chunks(lengths: list[int], pieces: int,
                                                                          values: st.DataObject) -> None:
    """Validation lays a column it computed out in the batch's chunks (`_cut_like`), so that polars does not copy
    the whole batch to line chunks up: the values stay the same, in order, and only the chunks change."""
    from c2c_monitor.ingest.validate import _cut_like

    n = sum(lengths)
    like = pl.concat([pl.Series("l", [0] * k, dtype=pl.Int64) for k in lengths], rechunk=False)
    data = values.draw(st.lists(st.one_of(st.none(), st.text(max_size=3)), min_size=n, max_size=n))
    # The column itself in some other layout: `pieces` chunks of its own.
    cuts = sorted(values.draw(st.lists(st.integers(0, n), min_size=pieces - 1, max_size=pieces - 1)))
    bounds = [0, *cuts, n]
    column = pl.concat([pl.Series("c", data[a:b], dtype=pl.String) for a, b in zip(bounds, bounds[1:], strict=False)],
                       rechunk=False)
    got = _cut_like(column, like)
    assert got.to_list() == data
    if like.n_chunks() > 1:
        assert got.chunk_lengths() == like.chunk_lengths()
