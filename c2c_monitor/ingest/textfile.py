"""Reading delimited text honestly: encodings, BOMs, separators and decimal commas are
detected or refused with a message naming the file and line, never silently misread."""

from __future__ import annotations

import codecs
import contextlib
import io
import mmap
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from c2c_monitor.errors import Finding
from c2c_monitor.ingest.fieldcount import Buffer, first_ragged, line_scan, lone_carriage_return

MAX_BYTES = 4 * 1024**3
SMALL = 10_000  # rows: below this a column is checked in Python rather than with a polars query


@dataclass
class Table:
    path: Path
    frame: pl.DataFrame  # all columns as strings, plus `_line` (1-based line in the file)
    notes: list[str] = field(default_factory=list)
    separator: str = ","
    # Every column name of the file (stripped) when the frame holds only those a reader asked for (`Columns`);
    # empty when it holds them all.
    header: list[str] = field(default_factory=list)


# What a reader needs read, given the header's column names (stripped, in order): a subset of them, or None for
# all. A large file's read skips the others (the SDMX-CSV reader leaves out a flow column of one repeated 21-byte
# code: a quarter of the read of the benchmark's 780 MB file).
Columns = Callable[[list[str]], Collection[str] | None]


class ReadError(Exception):
    """A file that cannot be read at all; `findings` holds every reason found (the first is `finding`)."""

    def __init__(self, finding: Finding, *more: Finding) -> None:
        super().__init__(str(finding))
        self.finding = finding
        self.findings = [finding, *more]


def check_encoding(encoding: str | None, path: Path) -> None:
    """Refuse an encoding Python does not know as a text encoding (`nonsense`, `base64`) in one finding."""
    if encoding is None:
        return
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        info = None
    # What bytes.decode itself checks (an empty input skips the lookup, so ask the registry directly).
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise ReadError(Finding("unknown-encoding", str(path),
                                f"unknown text encoding {encoding!r}; try utf-8, cp1252 or latin-1")) from None


# Byte-order marks, longest first (a UTF-32 LE mark begins with the UTF-16 LE one).
BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)


def sniff_bom(raw: bytes) -> tuple[str, str, int] | None:
    """(codec, name, BOM length) of a byte-order mark at the start of `raw`, or None."""
    for bom, codec, name in BOMS:
        if raw.startswith(bom):
            return codec, name, len(bom)
    return None


def _wide(encoding: str | None) -> bool:
    """UTF-16/UTF-32 named by --encoding: NUL bytes are then part of the text, not a sign of a binary file."""
    return encoding is not None and codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def _utf16_guess(raw: bytes) -> str | None:
    """'UTF-16 LE'/'UTF-16 BE' when the head looks like UTF-16 text without a mark (NUL in every other byte)."""
    head = raw[:4096]
    if len(head) < 4:
        return None
    odd, even = head[1::2], head[0::2]
    if odd.count(0) > 0.6 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def head_text(path: Path, encoding: str | None = None, size: int = 4096) -> str:
    """The first `size` bytes as text, for format detection: the byte-order mark decides, else the encoding
    given, else UTF-8; undecodable bytes are replaced (the reader words them exactly later)."""
    with path.open("rb") as fh:
        raw = fh.read(size)
    bom = sniff_bom(raw)
    if bom is not None:
        codec, _, n = bom
        return raw[n:].decode(codec, errors="replace")
    return raw.decode(encoding or "utf-8", errors="replace")


def decode(path: Path, encoding: str | None = None) -> tuple[str, list[str]]:
    """The whole file as text: a byte-order mark names its encoding (UTF-8, UTF-16 or UTF-32, LE or BE);
    without one, `encoding` (default UTF-8). Anything else is a ReadError naming file, line and encoding."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError(Finding("unreadable", str(path), f"cannot read: {exc.strerror}")) from None
    if size > MAX_BYTES:
        raise ReadError(Finding("too-large", str(path), f"file of {size} bytes is over the {MAX_BYTES} limit"))
    check_encoding(encoding, path)
    raw = path.read_bytes()
    notes: list[str] = []
    if not raw or raw.isspace():
        raise ReadError(Finding("empty-file", str(path), "the file is empty"))
    bom = sniff_bom(raw)
    if bom is not None:
        codec, name, n = bom
        raw = raw[n:]
        notes.append(f"{name} byte-order mark removed" if codec == "utf-8" else f"{name} with byte-order mark")
        if encoding is not None and codecs.lookup(encoding).name != codecs.lookup(codec).name:
            notes.append(f"--encoding {encoding} ignored: the byte-order mark says {name}")
        label = name
    else:
        codec = encoding or "utf-8"
        label = encoding or "UTF-8"
        if b"\x00" in raw[:65536] and not _wide(encoding):
            guess = _utf16_guess(raw)
            if guess is not None:
                raise ReadError(Finding(
                    "encoding", str(path), f"looks like {guess.upper().replace('-LE', ' LE').replace('-BE', ' BE')}"
                    f" without a byte-order mark; pass --encoding {guess} or re-save as UTF-8"))
            raise ReadError(Finding("binary-file", str(path), "contains NUL bytes: not a text file"))
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        # The line of the first bad byte: the newlines decoded before it (whatever the code unit width).
        line = raw[: exc.start].decode(codec, errors="replace").count("\n") + 1
        hint = ("re-save as UTF-8 or pass --encoding cp1252 (or latin-1) if that is what it is"
                if codec in ("utf-8", "utf8") else "re-save it as UTF-8")
        raise ReadError(Finding(
            "encoding", str(path), f"not valid {label} text (byte 0x{raw[exc.start]:02x}); {hint}", line)) from None
    if text.startswith("\ufeff"):  # a mark written twice, or one after --encoding utf-8
        text = text[1:]
    return text, notes


def _separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_DEC_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")
_DEC_POINT = re.compile(r"^\s*-?\d+\.\d+\s*$")


def _duplicate_column(path: Path, df: pl.DataFrame, keep_repeated: bool = False) -> pl.DataFrame:
    """Refuse a header naming a column twice, or (`keep_repeated`) name the later copies "name#2", "name#3".

    Names are compared as the readers use them, stripped: "Year" and " Year" are the same column."""
    seen: set[str] = set()
    for c in df.columns:
        if c.strip() in seen:  # (polars only renames copies written alike)
            raise ReadError(Finding("duplicate-column", str(path), "a column name appears twice", 1, c.strip()))
        seen.add(c.strip())
    if keep_repeated:
        return df.rename({c: re.sub(r"_duplicated_(\d+)$", lambda m: f"#{int(m.group(1)) + 2}", c)
                          for c in df.columns if re.search(r"_duplicated_\d+$", c)})
    dup = [c for c in df.columns if c.endswith("_duplicated_0")]
    if dup:
        raise ReadError(Finding("duplicate-column", str(path), "a column name appears twice", 1,
                                dup[0].removesuffix("_duplicated_0")))
    return df


def _refuse_ragged(path: Path, data: Buffer, sep: str) -> None:
    """A row with fewer or more fields than the header is refused: padded with blanks it would load a
    missing value that the file never said, and a longer one has a value with no column."""
    bad = first_ragged(data, sep)
    if bad is not None:
        raise ReadError(Finding("ragged-row", str(path),
                                f"{bad.fields} field(s) where the header has {bad.expected}", bad.line))


def _read_plain(path: Path, keep_repeated: bool = False, only: Columns | None = None) -> Table | None:
    """The common case, without a Python copy of the text: UTF-8, no BOM, no lone CR, no blank or multi-line rows.

    Returns None for anything else; the general path then reads the file and words any problem exactly.
    A file over `SMALL_BYTES` is memory-mapped, not read: its checks are numpy scans of the page cache, and the
    process takes no copy of a file of hundreds of megabytes (on a machine whose fresh memory is slow to touch,
    as a virtual machine's often is, that copy cost more than the scans).
    """
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return None
        if size <= SMALL_BYTES:
            return _plain_table(path, path.read_bytes(), keep_repeated, only)
        with path.open("rb") as fh:
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # (ValueError: mmap of a file emptied since its size was read)
        return None
    try:
        return _plain_table(path, mapped, keep_repeated, only)
    finally:
        with contextlib.suppress(BufferError):  # a numpy view still held by a traceback: closed when collected
            mapped.close()


def _plain_table(path: Path, raw: Buffer, keep_repeated: bool, only: Columns | None) -> Table | None:
    # CRLF line ends (most Open SDG files are written on Windows) are read by polars as they are; a lone CR
    # (old Mac line ends, or one inside a value) takes the general path. (A memory-mapped file is never blank:
    # it is over SMALL_BYTES, and one of spaces has a blank header, which declines below.)
    if not raw or (isinstance(raw, bytes) and raw.isspace()) \
            or raw[:3].startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")) \
            or b"\x00" in raw[:65536] or lone_carriage_return(raw):
        return None
    end = raw.find(b"\n")
    try:
        header = raw[:end if end >= 0 else len(raw)].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not header.strip():
        return None
    sep = _separator(header)
    notes = [f"separator {sep!r}"] if sep != "," else []
    small = _small_frame(raw, sep) if isinstance(raw, bytes) and len(raw) <= SMALL_BYTES else None
    if small is not None:
        return Table(path, small, notes, sep)
    columns, names = _wanted(header, sep, only)
    df = _polars_frame(path, raw, sep, columns)
    if df is None:
        return None
    df = _duplicate_column(path, df, keep_repeated)
    # `_line` last and names stripped by rebuilding the frame from its columns: no polars query, which costs more
    # than a small file's read (an Open SDG folder is hundreds of them).
    line, *cols = df.get_columns()
    df = pl.DataFrame([c.alias(c.name.strip()) for c in cols] + [line.cast(pl.Int64)])
    return Table(path, df, notes, sep, names if columns is not None else [])


def _wanted(header: str, sep: str, only: Columns | None) -> tuple[list[str] | None, list[str]]:
    """(the columns to read as the header writes them, or None for all; the header's names stripped).

    Only for a header polars reads as plainly split (no quote) with distinct, non-empty names: any other is read
    whole, so that a repeated name is still refused, a quoted one read as polars reads it and an empty one named
    as polars names it ("column_3")."""
    written = header.removesuffix("\r").split(sep)
    names = [n.strip() for n in written]
    if only is None or '"' in header or len(set(names)) != len(names) or "_line" in names or "" in names:
        return None, names
    keep = only(names)
    if keep is None or set(names) <= set(keep):
        return None, names
    return [w for w, n in zip(written, names, strict=True) if n in keep], names


def _polars_frame(path: Path, raw: Buffer, sep: str, columns: list[str] | None = None) -> pl.DataFrame | None:
    """polars' read of a plain file (`_line` first, names as written; only `columns` when given), after the
    ragged-row check, which counts every field; None when its rows are not one per line."""
    newlines, separators, at_line_end = line_scan(raw, sep)
    lines = newlines + (0 if raw[-1:] == b"\n" else 1)
    # Without quotes every separator splits fields, so when the file holds exactly as many separators as
    # its lines would with the header's field count, a row with fewer fields than the header needs another
    # with more, which polars refuses to read. Then the record-by-record count (`first_ragged`, 3 times the
    # time of this one) runs only to say where, and for any other file first, as before.
    end = raw.find(b"\n")
    # polars reads a record with extra fields silently when they are all empty (`a,b,` under two columns): with a
    # short record elsewhere the counts still agree, so a line ending in a separator gets the full check.
    s = sep.encode()
    even = (raw.find(b'"') < 0 and separators == lines * raw[:end if end >= 0 else len(raw)].count(s)
            and not (raw[-1:] == s or at_line_end))
    if not even:
        _refuse_ragged(path, raw, sep)
    try:
        # One line per row plus the header: row k is line k + 2 (checked below), the row index from 2.
        df = pl.read_csv(path, separator=sep, infer_schema=False, has_header=True, row_index_name="_line",
                         row_index_offset=2, encoding="utf8", columns=columns)
    except pl.exceptions.PolarsError:
        if even:
            _refuse_ragged(path, raw, sep)
        return None  # (a column named `_line` too: the general path reads it)
    if lines != df.height + 1:
        return None
    return df


# Below this size a file without quotes is split in Python: polars' fixed cost per read_csv (about 2 ms) is
# many times a small file's parse, and an Open SDG folder is hundreds of files of a dozen rows.
SMALL_BYTES = 64 * 1024


def _small_frame(raw: bytes, sep: str) -> pl.DataFrame | None:
    """The table `_read_plain` makes of `_polars_frame`'s read (names stripped, `_line` last), for a small file
    whose every line is one record: no quote character, no blank line, every line with the header's field
    count, distinct non-empty names (none `_line`, none that polars' renaming of repeated names could make).

    Within those bounds the two readings are the same (tests/test_textfile_small.py): a field is the text
    between separators as written (spaces kept), an empty one is null, a CR before LF ends the line. Anything
    else returns None and polars reads the file (and words a ragged row with its line).
    """
    if b'"' in raw:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if "\r" in text:  # only as CRLF here (`_read_plain` declines a lone CR)
        lines = [ln.removesuffix("\r") for ln in lines]
    names = [n.strip() for n in lines[0].split(sep)]
    width = len(names)
    if "" in names or len(set(names)) != width or "_line" in lines[0] or "_duplicated_" in lines[0]:
        return None
    rows = [ln.split(sep) for ln in lines[1:]]
    if any(len(r) != width or not ln.strip() for r, ln in zip(rows, lines[1:], strict=True)):
        return None
    # Built from rows, the schema as pairs (a dict of dtypes costs polars a second pass): a fifth of the cost
    # of one Series per column, for a frame this small.
    # (`_line` as a value of each row: inserting a column afterwards costs as much as the whole build.)
    data: list[list[str | int | None]] = [[v or None for v in r] for r in rows]
    for line, r in enumerate(data, 2):
        r.append(line)
    return pl.DataFrame(data, schema=[*((n, pl.String) for n in names), ("_line", pl.Int64)], orient="row")


def read_delimited(path: Path, encoding: str | None = None, keep_repeated: bool = False,
                   only: Columns | None = None) -> Table:
    """A delimited text file as strings; `keep_repeated` as in `xlsx.read_xlsx_table`. `only`: the columns the
    caller needs (`Columns`), which a large plain file's read may keep to; other reads give every column."""
    if encoding in (None, "utf-8", "utf8"):
        fast = _read_plain(path, keep_repeated, only)
        if fast is not None:
            return fast
    text, notes = decode(path, encoding)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    header = text[: text.find("\n")] if "\n" in text else text
    sep = _separator(header)
    if sep != ",":
        notes.append(f"separator {sep!r}")
    _refuse_ragged(path, text.encode("utf-8", errors="surrogatepass"), sep)
    try:
        df = pl.read_csv(io.StringIO(text), separator=sep, infer_schema=False, has_header=True, row_index_name="_row")
    except pl.exceptions.PolarsError as exc:
        msg = str(exc).splitlines()[0]
        m = re.search(r"(?:line|row)\s+(\d+)", str(exc))
        raise ReadError(Finding("malformed-csv", str(path), f"not a well-formed CSV: {msg}",
                                int(m.group(1)) if m else None)) from None
    df = _duplicate_column(path, df, keep_repeated)
    # Line numbers: polars skips blank lines, so map row k to the k-th non-blank line after the header.
    # Most files have none (and a final newline only): then row k is simply line k + 2.
    blank = _BLANK_LINE.search(text)
    if (blank is None or not text[blank.end():].strip()) and header.strip():
        df = df.with_columns((pl.col("_row") + 2).cast(pl.Int64).alias("_line"))
    else:
        flags = pl.Series(text.split("\n")).str.strip_chars().str.len_bytes() > 0
        non_blank = (flags.arg_true() + 1).slice(1).cast(pl.Int64)
        if non_blank.len() >= df.height:
            df = df.with_columns(non_blank.slice(0, df.height).alias("_line"))
        else:  # quoted fields spanning lines: fall back to row order
            df = df.with_columns((pl.col("_row") + 2).cast(pl.Int64).alias("_line"))
    df = df.drop("_row").rename({c: c.strip() for c in df.columns if c != c.strip()})
    return Table(path, df, notes, sep)


COMMENT = "#"


def without_comments(table: Table) -> Table:
    """The table without its comment rows: a first cell starting with "#" (a template's commented example).

    Templates carry their example that way, so a user who fills in below it never loads the example as data;
    the other rows keep their line numbers.
    """
    cols = [c for c in table.frame.columns if c != "_line"]
    if not cols or table.frame.height == 0:
        return table
    first = pl.col(cols[0]).str.strip_chars_start().str.starts_with(COMMENT).fill_null(False)
    return Table(table.path, table.frame.filter(~first), table.notes, table.separator)


def fix_decimal_commas(table: Table, column: str) -> list[Finding]:
    """Convert decimal commas in a value column when unambiguous; refuse mixed use."""
    if column not in table.frame.columns:
        return []
    col = table.frame[column]
    # Most files have no comma at all: a small column is scanned in Python, which costs less than a polars query.
    if not (any("," in v for v in col.to_list() if v is not None) if col.len() <= SMALL
            else col.str.contains(",", literal=True).any()):
        return []
    commas = col.str.contains(r"^\s*-?\d+,\d+\s*$").fill_null(False)
    points = col.str.contains(r"^\s*-?\d+\.\d+\s*$").fill_null(False)
    if not commas.any():
        return []
    if points.any():
        line = int(table.frame.filter(commas)["_line"][0])
        return [Finding("mixed-decimals", str(table.path),
                        "both decimal points and decimal commas in the value column; refusing to guess",
                        line, column, str(col.filter(commas)[0]))]
    if table.separator == ",":
        line = int(table.frame.filter(commas)["_line"][0])
        return [Finding("decimal-comma", str(table.path),
                        "decimal comma in a comma-separated file: ambiguous", line, column)]
    table.frame = table.frame.with_columns(pl.col(column).str.replace(",", ".", literal=True))
    table.notes.append("decimal commas read as decimal points")
    return []
