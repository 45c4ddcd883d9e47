"""An Open SDG table's canonical frame built in Python (ingest/readers.py `_open_sdg_small`, for the small files
of a platform folder) equals the one polars' projection builds: same columns, dtypes, nulls and values."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from c2c_monitor.ingest.readers import _open_sdg_lazy, _open_sdg_small, _strip

# Cells that could tell the builds apart: totals, blanks, spaces of every kind (polars keeps U+001C..U+001F,
# Python's strip() does not), nulls.
CELL = st.one_of(st.none(), st.sampled_from(["", " ", "_T", " _Z ", "_t", "F", "2020", " 2021 ", "3", "\x1c4",
                                             "\xa0x\u3000", "1.5", "a|b", "M=F"]))
OPTIONAL = ["Units", "GeoCode", "Series", "Quarter", "Observation status", "Sex", "Age group"]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_python_build_equals_polars_projection(data: st.DataObject) -> None:
    cols = ["Year", "Value", *data.draw(st.lists(st.sampled_from(OPTIONAL), unique=True))]
    n = data.draw(st.integers(0, 6))
    frame = pl.DataFrame([pl.Series(c, data.draw(st.lists(CELL, min_size=n, max_size=n)), dtype=pl.String)
                          for c in cols] + [pl.Series("_line", range(2, n + 2), dtype=pl.Int64)])
    by_series = "Series" in cols and data.draw(st.booleans())
    disagg = [c for c in cols if c in ("Sex", "Age group", "Units")] + (["Series"] if "Series" in cols and not
                                                                        by_series else [])
    want = _open_sdg_lazy(frame, "f.csv", "1-1-1", by_series, disagg)
    got = _open_sdg_small(frame, "f.csv", None if by_series else "1-1-1", disagg)
    assert got.schema == want.schema
    assert got.equals(want), (got, want)


def test_strip_is_polars_strip_for_every_character() -> None:
    chars = [chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000]
    cells = [f"{c}x{c}" for c in chars]
    assert [_strip(c) for c in cells] == pl.Series(cells).str.strip_chars().to_list()
