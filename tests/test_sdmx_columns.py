"""The SDMX-CSV reader reads only the columns it uses from a large file (`readers._sdmx_columns`, via
`textfile.read_delimited(only=...)`): what it makes of a file, or the refusal it words, must be what reading
every column gives."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from c2c_monitor.ingest import readers, textfile
from c2c_monitor.ingest.textfile import ReadError

# Columns an SDMX-CSV file may have: flows, the ones the reader uses, known ones it does not, dimensions,
# labelled names ("CODE: Label"), a name with spaces around it, an empty one (a header ending in a separator),
# and a repeated name.
POOL = ["STRUCTURE", "STRUCTURE_ID", "DATAFLOW", "ACTION", "REF_AREA", "INDICATOR", "SERIES", "SEX", "FREQ",
        "TIME_PERIOD", "OBS_VALUE", "UNIT_MULT", "OBS_COMMENT", "OBS_STATUS", "UNIT_MEASURE",
        "REF_AREA: Reference area", " AGE ", "DECIMALS", ""]
VALUES = {"STRUCTURE": ["dataflow"], "STRUCTURE_ID": ["C2C:FLOW(1.0)"], "DATAFLOW": ["C2C:FLOW(1.0)"],
          "ACTION": ["I", " d", "x"], "REF_AREA": ["bonn", "lyon", ""], "INDICATOR": ["poverty_rate", "x: y"],
          "SERIES": ["SI_POV_DAY1"], "SEX": ["F", "_T"], "FREQ": ["A"], "TIME_PERIOD": ["2020", "2021-Q1", "bad"],
          "OBS_VALUE": ["1.5", "", "NaN", "2"], "UNIT_MULT": ["0", "3"], "OBS_COMMENT": ["a note"],
          "OBS_STATUS": ["A", "P"], "UNIT_MEASURE": ["PT"], "DECIMALS": ["1"]}


def _value(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from(VALUES.get(readers._sdmx_code(name).strip(), ["v", "w"]))


@st.composite
def sdmx_files(draw: st.DrawFn) -> str:
    # Mostly a readable file (the columns SDMX-CSV needs, then others), sometimes any columns at all.
    needed = ["TIME_PERIOD", "OBS_VALUE", draw(st.sampled_from(["STRUCTURE", "DATAFLOW"]))]
    names = needed * draw(st.booleans()) + draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=9))
    names = draw(st.permutations(names))
    if draw(st.integers(0, 4)):
        names = list(dict.fromkeys(names))  # mostly distinct; sometimes a name twice
    rows = draw(st.lists(st.tuples(*[_value(n) for n in names]), min_size=1, max_size=6))
    return "\n".join([",".join(names), *(",".join(r) for r in rows)]) + "\n"


def _read(path: Path) -> tuple[str, object]:
    try:
        p = readers.read_sdmx(path)
    except ReadError as exc:
        return "refused", [(f.code, f.message, f.row, f.column) for f in exc.findings]
    return "read", (p.frame.to_dicts(), [(f.code, f.row, f.column) for f in p.findings], p.notes)


@settings(max_examples=300, deadline=None)
@given(text=sdmx_files())
# One column under two names once labels are cut: a polars DuplicateError traceback before, now a refusal.
@example(text="REF_AREA,REF_AREA: Reference area,TIME_PERIOD,OBS_VALUE,STRUCTURE\nbonn,bonn,2020,1,x\n")
def test_reading_only_the_used_columns_gives_what_reading_them_all_gives(tmp_path_factory: pytest.TempPathFactory,
                                                                        text: str) -> None:
    path = tmp_path_factory.mktemp("sdmx") / "f.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(textfile, "SMALL_BYTES", -1)  # polars' read, where the columns are chosen
        chosen = _read(path)
        mp.setattr(readers, "_sdmx_columns", lambda names: None)
        whole = _read(path)
    assert chosen == whole
    if "REF_AREA,REF_AREA: Reference area" in text:
        assert chosen[0] == "refused" and chosen[1][0][0] == "duplicate-column"  # type: ignore[index]


def test_a_large_file_read_leaves_the_flow_column_out(tmp_path: Path) -> None:
    """The selection happens: the frame polars reads has no STRUCTURE_ID when INDICATOR gives the codes, and the
    table still knows every column of the file."""
    path = tmp_path / "f.csv"
    pl.DataFrame({"STRUCTURE": ["dataflow"] * 3, "STRUCTURE_ID": ["C2C:F(1.0)"] * 3, "REF_AREA": ["bonn"] * 3,
                  "INDICATOR": ["poverty_rate"] * 3, "TIME_PERIOD": ["2020", "2021", "2022"],
                  "OBS_VALUE": ["1", "2", "3"], "FREQ": ["A"] * 3}).write_csv(path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(textfile, "SMALL_BYTES", -1)
        t = textfile.read_delimited(path, only=readers._sdmx_columns)
    assert t.frame.columns == ["REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE", "_line"]
    assert t.header == ["STRUCTURE", "STRUCTURE_ID", "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE", "FREQ"]
    assert t.frame["_line"].to_list() == [2, 3, 4]
