"""The small-file reader (ingest/textfile.py `_small_frame`) reads exactly what polars reads: for any text it
either declines (polars then reads the file) or gives the same table, names, dtypes, nulls and line numbers,
and refuses the same files with the same findings."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from c2c_monitor.ingest import textfile
from c2c_monitor.ingest.textfile import ReadError, Table, _read_plain, _small_frame


def _outcome(path: Path, small: bool) -> tuple[str, object]:
    """What `_read_plain` makes of the file with (or without) the small-file reader."""
    saved = textfile.SMALL_BYTES
    textfile.SMALL_BYTES = saved if small else -1
    try:
        got = _read_plain(path)
    except ReadError as exc:
        return "refused", [(f.code, f.message, f.row, f.column) for f in exc.findings]
    finally:
        textfile.SMALL_BYTES = saved
    return ("declined", None) if got is None else ("table", got)


def _same(path: Path) -> bool:
    """Assert both readings agree; True when the small-file reader itself read the file."""
    fast, slow = _outcome(path, True), _outcome(path, False)
    assert fast[0] == slow[0], (fast, slow)
    if fast[0] != "table":
        assert fast[1] == slow[1]
        return False
    a, b = fast[1], slow[1]
    assert isinstance(a, Table) and isinstance(b, Table)
    assert a.frame.schema == b.frame.schema  # names, order and dtypes
    assert a.frame.equals(b.frame), (a.frame, b.frame)
    assert (a.notes, a.separator) == (b.notes, b.separator)
    raw = path.read_bytes()
    return _small_frame(raw, a.separator) is not None


# Separators, quotes, both line ends, spaces, tabs, non-ASCII letters and plain ones: every case that could
# tell the two readers apart, in short texts so that collisions (blank lines, ragged rows) are frequent.
ALPHABET = st.sampled_from(list("ab1.,;|\t \"\r\n") + ["é", "ü", "€", "\u00a0", "x\r\n", "\n\n", ",,"])


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, min_size=1, max_size=40).map("".join),
       st.sampled_from(["Year,Value\n", "Year;Units;Value\n", "a\tb\r\n", "Year|Value", "", " A ,b\n"]))
def test_small_reader_equals_polars_or_declines(body: str, header: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "indicator_1-1-1.csv"
        path.write_bytes((header + body).encode("utf-8"))
        event("read by the small-file reader" if _same(path) else "declined or refused")


CHARS = list("ab1.- ") + ["é", "€", "\u00a0", "\u3000"]
# A cell: mostly plain text (possibly with another separator in it), now and then with a quote in it.
PLAIN = st.lists(st.sampled_from(CHARS), max_size=5).map("".join)
ODD = ['"{}"', 'a"b', "{},5", "a;{}", "\t{}"]
FIELD = st.tuples(st.integers(0, 24), PLAIN).map(lambda x: x[1] if x[0] < 20 else ODD[x[0] - 20].format(x[1]))
NAME = st.text("YVUSabc ", min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_small_reader_equals_polars_on_tables(data: st.DataObject) -> None:
    """Well-formed tables (the common case) with awkward cells: spaces, quotes, other separators, non-ASCII."""
    sep = data.draw(st.sampled_from([",", ";", "\t", "|"]))
    width = data.draw(st.integers(1, 4))
    names = data.draw(st.lists(NAME, min_size=width, max_size=width, unique_by=str.strip)
                      | st.lists(NAME, min_size=width, max_size=width))
    rows = data.draw(st.lists(st.lists(FIELD, min_size=width, max_size=width), max_size=6))
    end = data.draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(sep.join(r) for r in [names, *rows]) + data.draw(st.sampled_from(["", end]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "indicator_1-1-1.csv"
        path.write_bytes(text.encode("utf-8"))
        event("read by the small-file reader" if _same(path) else "declined or refused")


@pytest.mark.parametrize("text", [
    "Year,Value\n2020,1.5\n2021,\n",  # an empty field is null
    "Year,Value\r\n2020, 1.5 \r\n2021,2\r\n",  # CRLF; spaces are kept
    "Year;Units;Value\n2020;%;1,5\n",  # another separator; a comma inside a field
    "Year\tCity\tValue\n2020\tMünchen\t3\n",  # tabs; non-ASCII
    "Year|Value\n2020|1",  # no final newline
    "Year,Value\n",  # a header alone
    " Year , Value\n2020,1\n",  # names are stripped
    "Year,Value,Sex\n2020,,\n,,\n",  # a row of empty fields is a row of nulls
])
def test_small_reader_reads_the_common_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "indicator_1-1-1.csv"
    path.write_bytes(text.encode("utf-8"))
    assert _same(path)


@pytest.mark.parametrize("text", [
    'Year,Value\n2020,""\n',  # a quoted empty field is "" to polars, not null
    "Year,Value\n2020,1\n\n2021,2\n",  # a blank line
    "Year,Value\n2020\n",  # a short row: polars' path words it with its line
    "Year,Year\n1,2\n",  # a repeated name
    "Year,,Value\n1,2,3\n",  # an empty name
    "Year,_line\n1,2\n",
])
def test_small_reader_declines_what_it_cannot_tell(tmp_path: Path, text: str) -> None:
    path = tmp_path / "indicator_1-1-1.csv"
    path.write_bytes(text.encode("utf-8"))
    assert _small_frame(path.read_bytes(), textfile._separator(text.split("\n")[0])) is None
    assert not _same(path)


def test_a_short_row_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "indicator_1-1-1.csv"
    path.write_bytes(b"Year,Value\n2020,1\n2021\n")
    with pytest.raises(ReadError) as exc:
        _read_plain(path)
    assert (exc.value.finding.code, exc.value.finding.row) == ("ragged-row", 3)
    assert pl.__version__  # (polars is what the slow path reads with)
