"""Reading the store on a second thread while the caller goes on.

DuckDB and polars leave Python's lock while they work, so a read (and the frames made from it) on a second
thread overlaps the caller's own statements and Python work instead of following them. DuckDB wants one
connection per thread: the second thread reads on a cursor of its own (a connection to the same database, which
sees the store's tables but not the caller's temporary ones, nor its session settings).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

_T = TypeVar("_T")


def new_cursor(con: DuckDBPyConnection) -> DuckDBPyConnection:
    """A cursor of `con` with the workspace connection's session settings (no progress bar on the terminal)."""
    cursor = con.cursor()
    cursor.execute("SET enable_progress_bar = false")
    return cursor


@contextmanager
def beside(call: Callable[[], _T], name: str = "c2c-beside") -> Iterator[Callable[[], _T]]:
    """`call` run on a second thread while the block goes on; the block takes its result (or its exception, raised
    again) from the function it is given. On leaving, the thread has always ended, whether the block took the
    result or raised: nothing runs on after the block."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller's thread, raised there
            box["error"] = exc

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()

    def result() -> _T:
        worker.join()
        if "error" in box:
            raise box["error"]
        value: _T = box["value"]
        return value

    try:
        yield result
    finally:
        worker.join()


@contextmanager
def reading_beside(con: DuckDBPyConnection, read: Callable[[DuckDBPyConnection], _T],
                   name: str = "c2c-beside") -> Iterator[Callable[[], _T]]:
    """`read(cursor)` on a second thread and a new cursor of `con` (`beside`), the cursor closed once it ended.

    When the block raises (an error, or the user's Ctrl-C), the read's statement is interrupted before the thread
    is waited for: a long one (a national evaluation) would otherwise hold the command until it had finished.
    """
    cursor = new_cursor(con)
    ended = threading.Event()

    def run() -> _T:
        try:
            return read(cursor)
        finally:
            ended.set()

    try:
        with beside(run, name) as result:
            try:
                yield result
            except BaseException:
                # Until the read has ended: an interruption that came before its statement started is lost, so it
                # is sent again. The read's own error, if any, is never raised: the block's is.
                while not ended.wait(0.05):
                    cursor.interrupt()
                raise
    finally:
        cursor.close()
