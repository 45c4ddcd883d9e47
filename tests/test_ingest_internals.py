"""Two internals of ingestion held to their plain definitions: the per-row lookup and the vintage hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

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


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from(["a", "b", ""]), st.one_of(st.none(), st.integers(0, 3))),
                     max_size=30))
def test_the_duplicate_precheck_never_misses_a_duplicate(rows: list[tuple[str, int | None]]) -> None:
    from c2c_monitor.ingest.validate import _may_have_duplicates

    keys = pl.DataFrame(rows, schema={"code": pl.String, "year": pl.Int32}, orient="row")
    if keys.is_duplicated().any():
        assert _may_have_duplicates(keys)
    else:  # and without duplicates it says so (a 64-bit collision among 30 rows does not happen)
        assert not _may_have_duplicates(keys)
