"""How a `c2c` process starts and ends (`cli/one_command`): it skips the interpreter's teardown, and nothing the
interpreter would still have done at exit may be lost by that: threads waited for, `atexit` functions run,
buffered output flushed, the workspace closed with no write-ahead log left, the exit status Python would give.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from c2c_monitor.cli import one_command
from tests.conftest import run_c2c


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Buffered output, as a `c2c` run has it unless PYTHONUNBUFFERED is set (it is on some machines).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=60)


def test_ending_waits_for_threads_runs_atexit_and_flushes_what_was_printed(tmp_path: Path) -> None:
    res = _python("""
        import atexit, pathlib, tempfile, threading, time
        from concurrent.futures import ThreadPoolExecutor
        from c2c_monitor.cli.one_command import end

        def late(name):
            time.sleep(0.3)
            pathlib.Path(name).write_text("done")

        threading.Thread(target=late, args=("thread.txt",)).start()     # not a daemon: waited for
        pool = ThreadPoolExecutor(max_workers=1)                       # never shut down: told to stop at exit
        pool.submit(late, "pool.txt")
        atexit.register(lambda: pathlib.Path("atexit.txt").write_text("ran"))
        kept = tempfile.TemporaryDirectory(dir=".")                     # removed by its finaliser, at exit
        pathlib.Path(kept.name, "f").write_text("x")
        print("no newline, still in the buffer", end="")
        end(3)
    """, tmp_path)
    assert res.returncode == 3, res.stderr
    assert res.stdout == "no newline, still in the buffer"
    assert (tmp_path / "thread.txt").read_text() == "done"
    assert (tmp_path / "pool.txt").read_text() == "done"
    assert (tmp_path / "atexit.txt").read_text() == "ran"
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == []


def test_a_reader_gone_before_the_end_is_no_error(tmp_path: Path) -> None:
    # `c2c ... | head`: standard output a pipe whose reader has left by the time the buffer is flushed.
    res = _python("""
        import os
        from c2c_monitor.cli.one_command import end

        read, write = os.pipe()
        os.dup2(write, 1)
        os.close(read)
        print("buffered, and nobody left to read it", end="")
        end(0)
    """, tmp_path)
    assert res.returncode == 0
    assert res.stderr == ""


@pytest.mark.parametrize(("raised", "status", "said"), [
    (SystemExit(None), 0, ""),
    (SystemExit(4), 4, ""),
    (SystemExit("refused: why"), 1, "refused: why"),
    (KeyboardInterrupt(), 130, "KeyboardInterrupt"),
    (RuntimeError("a bug"), 1, "RuntimeError: a bug"),
])
def test_the_status_is_the_one_python_gives(raised: BaseException, status: int, said: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    def main() -> None:
        raise raised

    assert one_command.run_command(main) == status
    err = capsys.readouterr().err
    assert said in err
    if isinstance(raised, RuntimeError):
        assert "Traceback" in err  # a bug keeps its traceback, as Python would print it


def test_a_command_that_returns_ends_with_status_0() -> None:
    assert one_command.run_command(lambda: None) == 0


def test_the_collector_is_off_at_the_start_and_back_on_after(monkeypatch: pytest.MonkeyPatch) -> None:
    assert gc.isenabled()
    monkeypatch.setattr(one_command, "COLLECTOR_OFF_FOR", 0.2)
    try:
        one_command.collector_off_at_start()
        assert not gc.isenabled()
        deadline = time.monotonic() + 10
        while not gc.isenabled() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert gc.isenabled()
    finally:
        gc.enable()


def _snapshots(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM snapshots WHERE partnership_id = ?", ["bilbao-medellin"]).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


def test_the_script_leaves_its_workspace_closed_and_its_snapshot_stored(demo_copy: Path) -> None:
    db = demo_copy / "workspace.duckdb"
    before = _snapshots(db)
    for list_name in ("simplified", "long"):  # two scoreboards, two snapshots (an identical one is stored once)
        res = run_c2c("assess", "-w", str(demo_copy), "bilbao-medellin", "--list", list_name, "--format", "json")
        assert res.returncode == 0, res.stderr
        assert res.stdout.rstrip().endswith("}")  # the whole JSON, flushed before the process left
    assert not Path(f"{db}.wal").exists()  # closed and checkpointed by the command, not by a teardown
    assert _snapshots(db) == before + 2


def test_an_error_still_exits_2_with_one_line(demo_copy: Path) -> None:
    res = run_c2c("assess", "-w", str(demo_copy), "atlantis-utopia")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and "atlantis-utopia" in res.stderr
