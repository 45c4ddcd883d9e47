"""Internals of ingestion held to their plain definitions: the per-row lookup, the vintage hash, the store order."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from c2c_monitor.ingest.load import content_hash
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


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(_obs_keys, max_size=30), presort=st.booleans())
def test_store_order_is_polars_sort_and_repeated_keys_are_duplicates(rows: list[tuple[Any, ...]],
                                                                     presort: bool) -> None:
    """Validation sorts a batch as the store keeps it and finds duplicate keys as sorted neighbours: the sort
    (skipped when the rows are in order already) must give polars' stable sort, nulls last, and the neighbour
    check must see exactly the batches `is_duplicated` sees."""
    from c2c_monitor.store.schema import CLUSTER_KEYS, in_store_order, repeated_keys, sort_for_store

    keys = list(CLUSTER_KEYS["observations"])
    df = pl.DataFrame(rows, schema={"city_id": pl.String, "code": pl.String, "disagg": pl.String,
                                    "year": pl.Int32, "quarter": pl.Int32}, orient="row").with_row_index("n")
    want = df.sort(keys, nulls_last=True, maintain_order=True)
    if presort:
        df = want
    got = in_store_order(df, "observations")
    assert got.to_dicts() == want.to_dicts()  # same rows, same order, ties in their order in the frame
    assert sort_for_store(df, "observations").to_dicts() == want.to_dicts()
    assert repeated_keys(got, keys) == bool(df.select(keys).is_duplicated().any())
