"""The workspace connection: the store attached to an instance of its own, seen as a file opened directly.

`store/workspace._connect` attaches the store (to an instance made then, or ahead by a preloaded worker) and
detaches the in-memory database the instance starts with. These tests hold what every command relies on: the
store is the default database of the connection and of each cursor made from it (the principle side and the
publish observations read on cursors), temporary tables stay the connection's, a path with quotes is bound not
spliced, and closing writes everything to the file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from c2c_monitor.store import workspace as wsmod
from c2c_monitor.store.workspace import init_workspace, open_workspace, prepare_instance


@pytest.mark.parametrize("prepared", [False, True])
def test_the_store_is_the_default_database_of_the_connection_and_its_cursors(tmp_path: Path,
                                                                              prepared: bool) -> None:
    root = tmp_path / "it's a \"workspace\" [x]"  # quotes and brackets in the path: bound, not spliced
    init_workspace(root, "w")
    if prepared:
        prepare_instance()
        ready = wsmod._READY[0]
    with open_workspace(root) as ws:
        if prepared:
            assert ws.con is ready and not wsmod._READY  # the instance made ahead was taken, once
        ws.con.execute("CREATE TABLE own (x INTEGER)")
        ws.con.execute("INSERT INTO own VALUES (1), (2)")
        ws.con.execute("CREATE TEMP TABLE scratch AS SELECT 3 AS x")
        cur = ws.con.cursor()
        try:
            assert cur.execute("SELECT current_database()").fetchone() == ("workspace",)
            assert cur.execute("SELECT sum(x) FROM own").fetchone() == (3,)
            with pytest.raises(duckdb.CatalogException):
                cur.execute("SELECT * FROM scratch")  # another connection's temporary table
        finally:
            cur.close()
        names = {r[0] for r in ws.con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
        assert "memory" not in names and "workspace" in names
    # Closed: the rows are in the file itself (checkpointed, no write-ahead log left), as a direct open sees them.
    db = root / wsmod.DB_NAME
    assert not Path(f"{db}.wal").exists()
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT sum(x) FROM own").fetchone() == (3,)
    finally:
        con.close()


def test_an_instance_made_beside_is_the_one_the_next_open_takes(tmp_path: Path) -> None:
    """`prepare_instance_beside` (assess, compare, publish: while their code loads): the next open waits for the
    thread and takes its instance, once; a second call while one is ready or being made starts nothing."""
    import threading

    root = tmp_path / "ws"
    init_workspace(root, "w")
    wsmod._READY.clear()
    before = threading.active_count()
    wsmod.prepare_instance_beside()
    wsmod.prepare_instance_beside()
    assert len(wsmod._MAKING) == 1 and threading.active_count() <= before + 1
    with open_workspace(root) as ws:
        assert not wsmod._MAKING and not wsmod._READY  # waited for, and its instance taken
        assert ws.con.execute("SELECT current_database()").fetchone() == ("workspace",)
        made = ws.con
    with pytest.raises(duckdb.ConnectionException):
        made.execute("SELECT 1")  # the instance made beside was the workspace's connection, closed with it


def test_an_instance_that_cannot_be_made_beside_is_made_and_reported_by_the_open(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    """A failure on the thread is not printed there (no stray traceback): the open makes its own instance and
    reports DuckDB's error as every open does."""
    import threading

    from c2c_monitor.errors import WorkspaceError

    root = tmp_path / "ws"
    init_workspace(root, "w")
    wsmod._READY.clear()
    calls = []

    def broken() -> duckdb.DuckDBPyConnection:
        calls.append(1)
        raise duckdb.IOException("no memory for an instance")

    monkeypatch.setattr(wsmod, "_instance", broken)
    uncaught: list[object] = []
    monkeypatch.setattr(threading, "excepthook", uncaught.append)
    wsmod.prepare_instance_beside()
    with pytest.raises(WorkspaceError, match="no memory for an instance"):
        with open_workspace(root):
            pass
    assert len(calls) == 2 and not wsmod._MAKING and not wsmod._READY
    assert not uncaught and "Traceback" not in capfd.readouterr().err


def test_a_store_that_cannot_be_attached_is_refused_and_the_instance_closed(tmp_path: Path) -> None:
    from c2c_monitor.errors import WorkspaceError

    root = tmp_path / "ws"
    init_workspace(root, "w")
    (root / wsmod.DB_NAME).write_bytes(b"not a DuckDB file" * 100)
    prepare_instance()
    ready = wsmod._READY[0]
    with pytest.raises(WorkspaceError, match="cannot open the workspace store"):
        with open_workspace(root):
            pass
    with pytest.raises(duckdb.ConnectionException):
        ready.execute("SELECT 1")  # closed, not left open beside the refusal


def test_a_failing_block_interrupts_the_read_beside_it_instead_of_waiting_for_it() -> None:
    """store/beside.reading_beside: when the caller's block raises (an error, a Ctrl-C), the second thread's
    statement is interrupted; without that, the command waited for it to finish (here some seconds, in a national
    evaluation minutes) before it could report the error."""
    import threading

    from c2c_monitor.store.beside import reading_beside

    outcome: list[str] = []
    started = threading.Event()

    def read(cursor: duckdb.DuckDBPyConnection) -> None:
        started.set()
        try:
            cursor.execute("SELECT count(*) FROM range(20000000000) t(x) WHERE x % 7 = 3").fetchall()
            outcome.append("finished")
        except duckdb.InterruptException:
            outcome.append("interrupted")
            raise

    con = duckdb.connect()
    try:
        with pytest.raises(KeyboardInterrupt):
            with reading_beside(con, read):
                started.wait()
                raise KeyboardInterrupt
    finally:
        con.close()
    assert outcome == ["interrupted"]
