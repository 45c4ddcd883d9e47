"""Every file a statistical office really sends: encodings, ragged rows, missing values, folders with
other files beside the data (issue 15, part A)."""

from __future__ import annotations

import codecs
from pathlib import Path

import polars as pl
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from c2c_monitor.ingest.fieldcount import first_ragged
from c2c_monitor.ingest.readers import detect_format, read_long_csv, read_sdmx
from c2c_monitor.ingest.textfile import ReadError
from tests.conftest import run_c2c
from tests.test_ingest import state

# A city name no single-byte code page confuses with another: é, ü and the euro sign.
SDMX = ("DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,COMMENT\n"
        "C2C:X(1.0),bonn,unemployment_rate,2021,6.5,PT,Köln–Bonn région €\n"
        "C2C:X(1.0),bonn,unemployment_rate,2022,6.1,PT,second\n")

ENCODINGS = [
    ("utf-8", b""),
    ("utf-8", codecs.BOM_UTF8),
    ("utf-16-le", codecs.BOM_UTF16_LE),
    ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-32-le", codecs.BOM_UTF32_LE),
]


@pytest.mark.parametrize(("encoding", "bom"), ENCODINGS, ids=[f"{e}{'+bom' if b else ''}" for e, b in ENCODINGS])
def test_unicode_files_are_read_by_their_byte_order_mark(tmp_path: Path, encoding: str, bom: bytes) -> None:
    f = tmp_path / "data.csv"
    f.write_bytes(bom + SDMX.encode(encoding))
    assert detect_format(f) == "sdmx-csv"  # the header is seen through the mark, not as garbage
    parsed = read_sdmx(f)
    assert parsed.frame["value"].to_list() == ["6.5", "6.1"]
    assert parsed.frame["_line"].to_list() == [2, 3]
    assert parsed.frame["unit"].to_list() == ["PT", "PT"]
    if bom and encoding != "utf-8":
        assert any(encoding[:6].upper() in n for n in parsed.notes)


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_single_byte_code_pages_are_refused_naming_the_encoding_or_read_when_named(tmp_path: Path,
                                                                                   encoding: str) -> None:
    text = SDMX.replace("€", "").replace("–", "-") if encoding == "latin-1" else SDMX  # not in latin-1
    f = tmp_path / "data.csv"
    f.write_bytes(text.encode(encoding))
    with pytest.raises(ReadError) as exc:
        read_sdmx(f)
    finding = exc.value.finding
    assert (finding.code, finding.row, finding.file) == ("encoding", 2, str(f))
    assert "UTF-8" in finding.message and "cp1252" in finding.message
    parsed = read_sdmx(f, encoding)
    assert parsed.frame["value"].to_list() == ["6.5", "6.1"]


def test_utf16_without_a_mark_is_named_not_called_binary(tmp_path: Path) -> None:
    f = tmp_path / "data.csv"
    f.write_bytes(SDMX.encode("utf-16-le"))
    with pytest.raises(ReadError) as exc:
        read_sdmx(f)
    assert exc.value.finding.code == "encoding" and "--encoding utf-16-le" in exc.value.finding.message
    # Named, it is read (NUL bytes are then text, not a sign of a binary file).
    assert read_sdmx(f, "utf-16-le").frame.height == 2


def test_a_truncated_utf16_file_is_a_finding_with_its_line_not_a_traceback(demo_copy: Path, tmp_path: Path) -> None:
    f = tmp_path / "cut.csv"
    f.write_bytes(codecs.BOM_UTF16_LE + SDMX.encode("utf-16-le") + b"\x41")  # half a code unit at the end
    with pytest.raises(ReadError) as exc:
        read_sdmx(f)
    assert (exc.value.finding.code, exc.value.finding.row) == ("encoding", 4)
    assert "UTF-16 LE" in exc.value.finding.message
    before = state(demo_copy)
    res = run_c2c("ingest", str(f), "-w", str(demo_copy))
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "cut.csv" in res.stderr and "UTF-16 LE" in res.stderr
    assert state(demo_copy) == before


LONG = "indicator,area,period,value,unit,obs_status,disaggregation\n"


@pytest.mark.parametrize(("row", "line", "fields"), [
    ("unemployment_rate,bonn,2024,5.0,percent,", 3, 6),  # one short: was read as a blank disaggregation
    ("unemployment_rate,bonn,2024,5.0,percent,,,x", 3, 8),
    ('unemployment_rate,bonn,2024,"5,0",percent', 3, 5),  # a quoted comma is not a separator
])
def test_a_ragged_row_is_refused_with_its_line(tmp_path: Path, row: str, line: int, fields: int) -> None:
    f = tmp_path / "ragged.csv"
    f.write_text(LONG + "unemployment_rate,bonn,2023,5.1,percent,,\n" + row + "\n")
    with pytest.raises(ReadError) as exc:
        read_long_csv(f)
    assert (exc.value.finding.code, exc.value.finding.row) == ("ragged-row", line)
    assert f"{fields} field(s) where the header has 7" in exc.value.finding.message
    # The same through the general path (a byte-order mark and CRLF line ends).
    f.write_bytes(codecs.BOM_UTF8 + (LONG + "unemployment_rate,bonn,2023,5.1,percent,,\n" + row + "\n")
                  .replace("\n", "\r\n").encode())
    with pytest.raises(ReadError) as exc:
        read_long_csv(f)
    assert (exc.value.finding.code, exc.value.finding.row) == ("ragged-row", line)


_cell = st.text(st.characters(codec="utf-8", exclude_characters="\r\x00"), max_size=6)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(_cell, min_size=1, max_size=5), min_size=1, max_size=8))
def test_field_counts_agree_with_the_csv_module(rows: list[list[str]]) -> None:
    """Property: the vectorised count finds a ragged record exactly where Python's csv module sees one."""
    import csv
    import io

    # A line of blanks only is a blank line to the reader (as polars skips it), not a record of one field.
    assume(not any(len(r) == 1 and r[0] and not r[0].strip() for r in rows))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    records = list(csv.reader(io.StringIO(buf.getvalue())))
    csv_bad = next((len(r) for r in records[1:] if len(r) != len(records[0])), None)
    found = first_ragged(buf.getvalue().encode(), ",")
    assert (found.fields if found else None) == csv_bad


_plain_cell = st.text(st.sampled_from(list("ab1. é")), max_size=3)


@settings(max_examples=300, deadline=None)
@given(header=st.integers(1, 4), rows=st.lists(st.lists(_plain_cell, min_size=1, max_size=6), min_size=1, max_size=8),
       end=st.sampled_from(["\n", "\r\n"]), last=st.booleans())
# Found by this test in a full run: a blank line and a record of three empty fields, whose separators add up to
# the header's count; polars read the empty extra field away.
@example(header=2, rows=[[""], ["", "", ""]], end="\n", last=False)
def test_the_reader_refuses_a_ragged_row_where_the_field_count_finds_it(
        tmp_path_factory: pytest.TempPathFactory, header: int, rows: list[list[str]], end: str, last: bool) -> None:
    """Property: polars' read of a quote-free file (which counts all the file's separators first and each
    record's only when the total is off, or polars refuses a row) refuses a file with a ragged record, at the
    line `first_ragged` names, and reads every other file."""
    from c2c_monitor.ingest.textfile import _polars_frame

    text = end.join([",".join(f"c{i}" for i in range(header)), *(",".join(r) for r in rows)]) + (end if last else "")
    path = tmp_path_factory.mktemp("ragged") / "f.csv"
    path.write_bytes(text.encode())
    want = first_ragged(text.encode(), ",")
    try:
        _polars_frame(path, text.encode(), ",")
        got = None
    except ReadError as exc:
        assert exc.finding.code == "ragged-row"
        got = exc.finding.row
    assert got == (want.line if want else None)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from([b",", b";", b"\n", b"\r", b"a", b"1", b'"']), max_size=40),
       sep=st.sampled_from([",", ";"]), chunk=st.integers(1, 8))
@example(parts=[b"a", b",", b"\r", b"\n"], sep=",", chunk=2)  # CR LF straddling a chunk's end
def test_the_line_scan_counts_and_finds_a_line_ending_separator_as_bytes_methods_do(parts: list[bytes], sep: str,
                                                                                   chunk: int) -> None:
    from c2c_monitor.ingest import fieldcount

    data = b"".join(parts)
    s = sep.encode()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fieldcount, "CHUNK", chunk)  # tiny chunks: matches across every boundary
        assert fieldcount.line_scan(data, sep) == (data.count(b"\n"), data.count(s),
                                                   s + b"\n" in data or s + b"\r\n" in data)


@pytest.mark.parametrize("width", [1, 255, 256, 300, 70_000])
def test_wide_records_are_counted_without_wrapping(width: int) -> None:
    """Records of 256 or more separators: a count kept in too narrow a type would wrap (256 commas read as 0)."""
    header = ",".join(f"c{i}" for i in range(width))
    good = ",".join(["x"] * width)
    assert first_ragged(f"{header}\n{good}\n{good}\n".encode(), ",") is None
    for fields in (width + 256, width + 1, max(width - 1, 0) or 2):
        row = ",".join(["x"] * fields)
        found = first_ragged(f"{header}\n{good}\n{row}\n{good}\n".encode(), ",")
        assert found is not None and (found.line, found.fields, found.expected) == (3, fields, width)


@pytest.mark.parametrize("cell", ["", "NaN", "NA", "..", ":"])
def test_missing_values_are_missing_with_an_observation_status(demo_copy: Path, tmp_path: Path, cell: str) -> None:
    """README: empty, NaN, NA, `..` and `:` are a missing value; without a status it is recorded as M."""
    import duckdb

    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.ingest.load import ingest
    from c2c_monitor.ingest.mapping import Mapping
    from c2c_monitor.store.workspace import open_workspace

    f = tmp_path / "missing.csv"
    f.write_text(LONG + f"unemployment_rate,bonn,2023,{cell},percent,,\n"
                 f"unemployment_rate,bonn,2022,{cell},percent,O,\n"
                 "unemployment_rate,bonn,2021,4.5,percent,,\n")
    cat = load_catalogue()
    with open_workspace(demo_copy) as ws:
        summary = ingest(ws.con, cat, [f], Mapping())
    assert summary.missing_values == 2
    con = duckdb.connect(str(demo_copy / "workspace.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT period, value, obs_status FROM observations WHERE vintage_id = ? ORDER BY period",
                           [summary.vintage_id]).fetchall()
    finally:
        con.close()
    assert rows == [("2021", 4.5, None), ("2022", None, "O"), ("2023", None, "M")]


def test_a_data_folder_skips_what_is_not_indicator_data_whether_it_or_its_parent_is_given(tmp_path: Path) -> None:
    from c2c_monitor.ingest.load import expand_paths, read_batch

    site = tmp_path / "site"
    data = site / "data"
    data.mkdir(parents=True)
    (site / "README.md").write_text("# a site\n")
    (data / "README.md").write_text("# data\n")
    (data / ".gitkeep").write_text("")
    (data / "demo_indicator.csv").write_text("Year,Value\n2020,1\n")
    (data / "indicator_8-5-2.csv").write_text("Year,Value\n2020,5.5\n")
    (data / "notes.csv").write_text("title,text\nx,y\n")
    for given_path in (site, data):
        found = expand_paths([given_path])
        parsed, findings, skipped = read_batch(found.files, "auto", None, from_folder=found.from_folder)
        assert findings == []
        assert [Path(p.frame["_file"][0]).name for p in parsed] == ["indicator_8-5-2.csv"]
        assert {Path(k).name for k in {**found.skipped, **skipped}} == {"README.md", "demo_indicator.csv",
                                                                         "notes.csv"}
    # A file named on the command line is not skipped: its fault is an error.
    _, findings, _ = read_batch([data / "notes.csv"], "auto", None)
    assert findings and findings[0].code == "missing-column"


def test_the_readers_keep_the_canonical_shape(tmp_path: Path) -> None:
    f = tmp_path / "data.csv"
    f.write_bytes(codecs.BOM_UTF16_BE + SDMX.encode("utf-16-be"))
    frame = read_sdmx(f).frame
    assert frame.schema == pl.Schema({c: pl.Int64 if c == "_line" else pl.String for c in frame.columns})


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from([b",", b";", b"\n", b"\r", b"\r\n", b"a", b"1", b'"', b" "]), min_size=1,
                      max_size=40),
       sep=st.sampled_from([",", ";"]), chunk=st.integers(1, 8))
@example(parts=[b"a", b"\r"], sep=",", chunk=1)  # a CR as the very last byte
@example(parts=[b"a", b"\r", b"\n", b"\r"], sep=",", chunk=2)  # a CR LF, then a lone CR, across chunks
def test_the_byte_scans_read_a_memory_mapped_file_as_they_read_its_bytes(tmp_path_factory: pytest.TempPathFactory,
                                                                         parts: list[bytes], sep: str,
                                                                         chunk: int) -> None:
    """A large file is memory-mapped, not read (`textfile._read_plain`): every scan of its bytes gives the answer
    the `bytes` methods give, at every chunk boundary. The mmap has no `count` and its `in` is not bytes' search,
    so a scan that used either would fail here or differ."""
    import mmap

    from c2c_monitor.ingest import fieldcount

    data = b"".join(parts)
    path = tmp_path_factory.mktemp("mm") / "f.csv"
    path.write_bytes(data)
    s = sep.encode()
    with path.open("rb") as fh, pytest.MonkeyPatch.context() as mp:
        mp.setattr(fieldcount, "CHUNK", chunk)
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            for buf in (data, mapped):
                assert fieldcount.lone_carriage_return(buf) == (data.count(b"\r") != data.count(b"\r\n"))
                assert fieldcount.line_scan(buf, sep) == (data.count(b"\n"), data.count(s),
                                                          s + b"\n" in data or s + b"\r\n" in data)
                assert fieldcount.first_ragged(buf, sep) == fieldcount.first_ragged(data, sep)
                found = fieldcount.first_ragged(buf, sep)
                if found is not None:  # its line is the newlines before the record, plus one
                    assert 1 <= found.line <= data.count(b"\n") + 1
        finally:
            mapped.close()
