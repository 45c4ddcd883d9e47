"""Ragged rows: a record with fewer or more fields than the header, found without parsing the file twice.

polars pads a short row with nulls (indistinguishable from empty cells) and words a long one without its
line, so the fields of every record are counted here first, vectorised with numpy over the bytes: a
separator or newline counts only outside quotes (RFC 4180 quotes, `""` inside a quoted field keeps the
parity), a newline inside quotes does not end the record. Works on any ASCII-compatible bytes (UTF-8,
cp1252, latin-1; UTF-16 text is re-encoded by the caller). Memory stays bounded by reading in chunks.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from typing import Any

import numpy as np

# The bytes of a file: `bytes`, or the file memory-mapped (`mmap`: sliced, searched with `find` and read by numpy in
# place), so that a large file is never copied into the process's memory. Searched with `find`, never `in`: an mmap's
# `in` steps through it byte by byte in Python (20 s over 780 MB), and it has no `count`.
Buffer = bytes | mmap.mmap

CHUNK = 1 << 24  # 16 MiB: temporary arrays of a few bytes per byte of the chunk


@dataclass(frozen=True)
class Ragged:
    line: int  # 1-based physical line where the record starts
    fields: int
    expected: int


def _count_type(lengths: np.ndarray) -> type[np.unsignedinteger[Any]] | type[np.int64]:
    """The narrowest type that holds the separator count of records of these byte lengths (a newline excluded).

    Summing the separator mask as bytes is three times faster than as 64-bit integers (numpy casts each element
    otherwise), and a record of fewer than 256 bytes has fewer than 256 separators, so it cannot wrap."""
    longest = int(lengths.max()) if lengths.size else 0
    return np.uint8 if longest < 255 else np.uint16 if longest < 65535 else np.int64


def _line_at(arr: np.ndarray, offset: int) -> int:
    """The 1-based line of byte `offset`: the newlines before it, counted a chunk at a time (the data may be a
    memory-mapped file, which has no `count`)."""
    return sum(int(np.count_nonzero(arr[a:min(a + CHUNK, offset)] == 10)) for a in range(0, offset, CHUNK)) + 1


def first_ragged(data: Buffer, separator: str) -> Ragged | None:
    """The first non-blank record whose field count differs from the header's, or None."""
    if not data:
        return None
    sep = ord(separator)
    arr = np.frombuffer(data, dtype=np.uint8)
    parity = 0  # 1 while inside a quoted field, carried from chunk to chunk
    expected: int | None = None
    carried = 0  # separators of the record still open at the end of the previous chunk
    start = 0  # offset where the open record began
    for a in range(0, arr.size, CHUNK):
        chunk = arr[a:a + CHUNK]
        quote = chunk == 34
        nl = chunk == 10
        sp = chunk == sep
        if quote.any() or parity:
            inside = ((np.cumsum(quote, dtype=np.uint8) + parity) & 1).astype(bool)
            # (A quote char itself is neither a separator nor a newline, whichever side it counts on.)
            nl &= ~inside
            sp &= ~inside
            parity = int(inside[-1])
        ends = np.flatnonzero(nl)
        if ends.size:
            # Separators per record: one segmented sum over the records' byte ranges (each ends with its
            # newline), without listing every separator's position.
            starts = np.concatenate(([0], ends[:-1] + 1))
            per = np.add.reduceat(sp[: int(ends[-1]) + 1].view(np.uint8), starts, dtype=_count_type(ends - starts))
            per = per.astype(np.int64)
            per[0] += carried
            fields = per + 1
            if expected is None:
                expected = int(fields[0])
                fields[0] = expected
            bad = np.flatnonzero(fields != expected)
            for i in bad.tolist():
                s = start if i == 0 else a + int(starts[i])
                e = a + int(ends[i])
                if int(fields[i]) == 1 and not data[s:e].strip():
                    continue  # a blank line: not a record
                return Ragged(_line_at(arr, s), int(fields[i]), expected)
            start = a + int(ends[-1]) + 1
            carried = int(np.count_nonzero(sp[int(ends[-1]) + 1:]))
        else:
            carried += int(np.count_nonzero(sp))
    # The last record, when the file does not end with a newline.
    if start < len(data) and data[start:].strip():
        last = carried + 1
        if expected is not None and last != expected:
            return Ragged(_line_at(arr, start), last, expected)
    return None


def line_scan(data: Buffer, separator: str) -> tuple[int, int, bool]:
    """(newlines, separators, whether a separator ends a line) of `data`, in one numpy pass a chunk at a time.

    The third is `sep + b"\\n" in data or sep + b"\\r\\n" in data`: bytes' own search is slow there, since every
    separator starts a candidate match (1.06 s over the benchmark's 780 MB file), and three separate scans read
    the file three times; this one reads it once (chunks overlap by two bytes, for a match across their end)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    sep = ord(separator)
    crlf = data.find(b"\r") >= 0
    newlines = separators = 0
    at_end = False
    for a in range(0, arr.size, CHUNK):
        chunk = arr[a:a + CHUNK + 2]
        own = min(CHUNK, arr.size - a)  # the bytes this chunk counts (the overlap is the next one's)
        nl = chunk == 10
        sp = chunk == sep
        newlines += int(np.count_nonzero(nl[:own]))
        separators += int(np.count_nonzero(sp[:own]))
        if not at_end:
            at_end = bool(np.any(sp[:-1] & nl[1:])) or (
                crlf and chunk.size > 2 and bool(np.any(sp[:-2] & (chunk[1:-1] == 13) & nl[2:])))
    return newlines, separators, at_end


def lone_carriage_return(data: Buffer) -> bool:
    """Is there a CR not followed by LF (an old Mac line end, or one inside a value)? The same answer as
    `data.count(b"\\r") != data.count(b"\\r\\n")`, by numpy a chunk at a time, one byte of overlap."""
    if data.find(b"\r") < 0:
        return False
    arr = np.frombuffer(data, dtype=np.uint8)
    for a in range(0, arr.size, CHUNK):
        chunk = arr[a:a + CHUNK + 1]
        cr = chunk == 13
        if np.any(cr[:-1] & (chunk[1:] != 10)):
            return True
    return bool(arr.size and arr[-1] == 13)
