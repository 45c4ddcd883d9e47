"""`c2c preload`: a command handed to a loaded worker behaves as the same command run in its own process.

Each test has its own socket folder (C2C_PRELOAD_DIR, short: a Unix socket's path is limited to 108 bytes)
and its own supervisor, so the tests run side by side. The client is driven through `run_preloaded` in a
small script that exits 99 when no worker took the command: a test then knows which path ran.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c2c_monitor.cli.preload_client import MAX_MESSAGE, receive, send

NOT_TAKEN = 99
CLIENT = ("import sys\nfrom c2c_monitor.cli.preload_client import run_preloaded\n"
          f"code = run_preloaded(sys.argv[1:])\nsys.exit({NOT_TAKEN} if code is None else code)\n")


def _env(folder: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("C2C_WORKSPACE", "C2C_LANG", "C2C_PRELOAD")}
    return env | {"C2C_PRELOAD_DIR": str(folder)} | more


def _client(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CLIENT, *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def _here(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The same command run in its own process, as `c2c` does without a preloader."""
    return subprocess.run([sys.executable, "-m", "c2c_monitor.cli", *args], env=env | {"C2C_PRELOAD": "0"},
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def _socket(folder: Path) -> Path | None:
    found = sorted(folder.glob("preload-*.sock"))
    return found[0] if found else None


@pytest.fixture
def folder() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="c2cpl-", dir="/tmp"))
    path.chmod(0o700)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def supervisor(folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-c", "from c2c_monitor.cli.preload_server import supervise; "
                             "supervise(2, 300.0)"], env=_env(folder), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _socket(folder) is None and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert _socket(folder) is not None, "the supervisor did not open its socket"
    yield proc
    proc.terminate()
    proc.wait(timeout=30)


def _taken(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run through the preloader; the workers may still be loading, so a refusal is retried a few times."""
    for _ in range(3):
        res = _client(args, env, cwd)
        if res.returncode != NOT_TAKEN:
            return res
        time.sleep(1)
    raise AssertionError(f"no worker took `c2c {' '.join(args)}`: {res.stderr}")


def test_a_preloaded_command_prints_and_exits_as_the_same_command_run_here(
        folder: Path, supervisor: subprocess.Popen[bytes], demo_ws: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(demo_ws, ws)
    # A relative workspace path, the workspace from the environment, and the language from the environment:
    # the worker must take the client's folder and environment, not its own (it was started in "/").
    cases = [
        (["assess", "-w", "ws", "bilbao-medellin"], {}),
        (["assess", "bilbao-medellin", "--format", "json"], {"C2C_WORKSPACE": str(ws)}),
        (["partnerships", "-w", "ws"], {}),
        (["assess", "-w", "ws", "atlantis-utopia"], {}),  # an error: exit 2, one line
        (["assess", "bilbao-medellin"], {"C2C_LANG": "fr"}),  # no workspace: said in the client's language
    ]
    for args, more in cases:
        env = _env(folder, **more)
        got = _taken(args, env, tmp_path)
        want = _here(args, env, tmp_path)
        assert got.returncode == want.returncode, (args, got.stderr)
        if "--format" in args:  # the snapshot's time differs between two runs; nothing else may
            a, b = json.loads(got.stdout), json.loads(want.stdout)
            a.pop("generated_at"), b.pop("generated_at")
            assert a == b
        else:
            assert got.stdout == want.stdout, args
        assert got.stderr == want.stderr, args
    assert want.returncode == 2 and "C2C_WORKSPACE" in want.stderr
    assert "no workspace given" not in want.stderr  # French: the client's C2C_LANG reached the worker


def test_a_worker_whose_code_changed_on_disk_hands_the_command_back_and_is_replaced(
        folder: Path, tmp_path: Path) -> None:
    # A module every worker has loaded at start-up (sitecustomize, on the path): edited, the workers are stale.
    extra = tmp_path / "site"
    extra.mkdir()
    probe = extra / "sitecustomize.py"
    probe.write_text("VERSION = 1\n", encoding="utf-8")
    env = _env(folder, PYTHONPATH=os.pathsep.join([str(extra), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    proc = subprocess.Popen([sys.executable, "-c", "from c2c_monitor.cli.preload_server import supervise; "
                             "supervise(1, 300.0)"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _socket(folder) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        log = folder / "preload.log"
        while "ready" not in (log.read_text(encoding="utf-8") if log.exists() else "") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "ready" in log.read_text(encoding="utf-8")  # the worker has loaded the first version
        probe.write_text("VERSION = 22\n", encoding="utf-8")  # another size: a change whatever the clock says
        refused = _client(["preload", "status"], env, tmp_path)
        assert refused.returncode == NOT_TAKEN and refused.stdout == ""
        # The supervisor replaced it with a worker that loaded the new file: the next command is taken again.
        assert _taken(["preload", "status"], env, tmp_path).returncode == 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_socket_in_a_folder_others_can_write_to_is_not_used(folder: Path, tmp_path: Path) -> None:
    env = _env(folder)
    folder.chmod(0o755)  # others may list it
    res = subprocess.run([sys.executable, "-c", "from c2c_monitor.cli.preload_server import supervise; "
                          "supervise(1, 300.0)"], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode != 0 and "not a private folder" in res.stderr
    assert _socket(folder) is None
    # A socket someone else put there is not trusted either: the command runs in its own process.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as rogue:
        from c2c_monitor.cli import preload_client

        path = Path(preload_client.socket_path().replace(preload_client.socket_folder(), str(folder)))
        rogue.bind(str(path))
        rogue.listen(1)
        assert _client(["preload", "status"], env, tmp_path).returncode == NOT_TAKEN


def test_start_status_stop_in_the_background(folder: Path, tmp_path: Path) -> None:
    env = _env(folder)
    status = _here(["preload", "status"], env, tmp_path)
    assert status.returncode == 1 and "no preloader running" in status.stdout
    started = _here(["preload", "start", "--workers", "1", "--idle", "5"], env, tmp_path)
    try:
        assert started.returncode == 0, started.stderr
        assert "preloader started" in started.stderr
        again = _here(["preload", "start"], env, tmp_path)
        assert again.returncode == 0 and "already running" in again.stderr
        assert _here(["preload", "status"], env, tmp_path).returncode == 0
        assert _taken(["preload", "status"], env, tmp_path).stdout.startswith("preloader running")
    finally:
        stopped = _here(["preload", "stop"], env, tmp_path)
    assert stopped.returncode == 0 and "preloader stopped" in stopped.stderr
    assert _socket(folder) is None
    assert _here(["preload", "stop"], env, tmp_path).returncode == 1
    assert _client(["preload", "status"], env, tmp_path).returncode == NOT_TAKEN


def _serving(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_stopping_c2c_stops_the_command_in_the_worker(how: signal.Signals, folder: Path,
                                                      supervisor: subprocess.Popen[bytes], demo_ws: Path,
                                                      tmp_path: Path) -> None:
    """Ctrl-C goes to `c2c`, the client, which passes it on; a `c2c` killed outright takes its command with it."""
    ws = tmp_path / "ws"
    shutil.copytree(demo_ws, ws)
    env = _env(folder)
    with socket.socket() as probe:  # a free port (the server takes no port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = subprocess.Popen([sys.executable, "-c", CLIENT, "workshop", "serve", "bilbao-medellin", "-w", str(ws),
                               "--round", "r1", "--port", str(port)], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        # The server says where it listens once it does; that line comes from the worker, through our pipe.
        line = ""
        deadline = time.monotonic() + 60
        while "http://127.0.0.1" not in line and time.monotonic() < deadline:
            line = (client.stderr.readline() if client.stderr else "") or line
        assert "http://127.0.0.1" in line
        while not _serving(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _serving(port)
        client.send_signal(how)
        # Without the hand-over the server in the worker would run on (and, for Ctrl-C, the client wait for it).
        assert client.wait(timeout=30) != NOT_TAKEN
        deadline = time.monotonic() + 30
        while _serving(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _serving(port)
    finally:
        if client.poll() is None:
            client.kill()


@given(st.dictionaries(st.text(max_size=20), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(), lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=20), max_size=8))
def test_messages_arrive_whole_and_alike(message: dict[str, object]) -> None:
    a, b = socket.socketpair()
    with a, b:
        send(a, message)
        got, fds = receive(b)
    assert got == message and fds == []


def test_a_message_longer_than_allowed_or_cut_short_is_not_read() -> None:
    a, b = socket.socketpair()
    with a, b:
        a.sendall((MAX_MESSAGE + 1).to_bytes(4, "big") + b"{}")
        assert receive(b) == (None, [])
    a, b = socket.socketpair()
    with b:
        with a:
            a.sendall((10).to_bytes(4, "big") + b'{"a"')
        assert receive(b) == (None, [])


def test_waiting_workers_go_when_their_supervisor_is_killed(folder: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "from c2c_monitor.cli.preload_server import supervise; "
                             "supervise(2, 300.0)"], env=_env(folder), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    log = folder / "preload.log"
    deadline = time.monotonic() + 60
    while (log.read_text(encoding="utf-8").count("ready") if log.exists() else 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = [int(line.split()[1]) for line in log.read_text(encoding="utf-8").splitlines() if "ready" in line]
    assert len(workers) == 2
    proc.kill()
    proc.wait(timeout=30)

    def alive(pid: int) -> bool:  # running, and not a zombie waiting for init to reap it
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 30
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(p) for p in workers)
