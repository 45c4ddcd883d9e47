"""The preloader behind `c2c preload start`: a supervisor and the loaded workers it keeps waiting.

The supervisor owns the socket (a private folder, mode 0600, peers of another user refused) and keeps
`workers` processes started: each imports the whole command line and the libraries, then waits in accept()
on the shared socket, runs exactly one command (`preload_client` says how) and exits. The supervisor starts
a new one for each that ends. It stops when asked (SIGTERM, `c2c preload stop`), after `idle` seconds
without a command, or when its socket has been removed or replaced.

Before it runs a command a worker checks that nothing it loaded has changed on disk (every file of the package,
its templates, catalogs and definitions among them, and each library's top module and folder, by size and
modification time: `_files`): after an upgrade or an edit it refuses, the `c2c` script runs the command
itself, and the supervisor replaces every waiting worker with one that loads the new code.
"""

from __future__ import annotations

import importlib
import io
import os
import pkgutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from c2c_monitor.cli.one_command import run_command, wind_up
from c2c_monitor.cli.preload_client import (
    compatibility,
    package_dir,
    peer_uid,
    private_folder,
    receive,
    send,
    socket_path,
)

STALE = 75  # a worker's exit status when the code on disk changed under it: the supervisor reloads all
POLL = 0.2  # seconds between the supervisor's looks at its workers


def pid_path(sock: Path) -> Path:
    return sock.with_suffix(".pid")


# --- the worker -------------------------------------------------------------------------------------------
def _preload() -> None:
    """Import every module of the package (the command tree and all it imports lazily) and the libraries."""
    import c2c_monitor

    for mod in pkgutil.walk_packages(c2c_monitor.__path__, "c2c_monitor."):
        if mod.name.endswith("__main__"):
            continue  # runs the command line when imported
        try:
            importlib.import_module(mod.name)
        except Exception:  # noqa: BLE001 - an optional library missing (a PDF engine): imported when used, as ever
            pass
    _warm()


def _warm() -> None:
    """Do once, on nothing of the user's, what every command's first query, frame and table pays for.

    The package imports DuckDB only inside functions, and DuckDB, polars and rich each load more of themselves
    on first use (a tenth of a second of a demo `assess`, measured).
    """
    import duckdb
    import polars as pl
    from rich.console import Console
    from rich.table import Table

    with duckdb.connect() as con:
        rel = con.sql("SELECT x % 3 AS k, sum(x) OVER (PARTITION BY x % 3 ORDER BY x) AS s, 'é' AS t "
                      "FROM range(10) r(x)")
        pl.DataFrame(rel).lazy().group_by("k").agg(pl.col("s").max()).sort("k").collect()
    table = Table("a", "b")
    table.add_row("Medellín", "1.0")
    Console(file=io.StringIO(), width=80).print(table)
    # The command's DuckDB instance, made now: only attaching its workspace store is left to the command.
    from c2c_monitor.store.workspace import prepare_instance

    prepare_instance()


def _files() -> dict[str, tuple[int, int]]:
    """Size and modification time of every file of the package (code, templates, catalogs, definitions) and, for
    every other top-level module loaded, of its file, its folder when it is a package, and the folder holding it
    (only that folder for Python's standard library).

    An upgrade, an install or a removal of a library changes the folder holding it (site-packages: its
    distribution's metadata folder is replaced) and the library's own top folder; an edit of one of our files or
    of a single-file module changes that file. Every file of every loaded library was stated before (some 900,
    7 ms of each preloaded command): an edit in place deep inside a library is no longer seen, a reinstall is.
    """
    out: dict[str, tuple[int, int]] = {}
    paths: set[str] = set()
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not path or "." in name:
            continue  # (a submodule: its top-level package stands for it)
        top = os.path.dirname(path) if os.path.basename(path).startswith("__init__.") else path
        if name in sys.stdlib_module_names:
            paths.add(os.path.dirname(top))  # Python's own library changes with Python, its folder with it
            continue
        paths |= {path, top, os.path.dirname(top)}
    # Files only: a folder's time changes when Python writes a __pycache__ into it, which changes no code.
    for folder, dirs, names in os.walk(package_dir()):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        paths |= {os.path.join(folder, n) for n in names}
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            out[p] = (-1, -1)
            continue
        out[p] = (st.st_size, st.st_mtime_ns)
    return out


def _stdio(fd: int, info: dict[str, Any], write: bool) -> io.TextIOWrapper:
    """A text stream over one of the client's descriptors, as Python would have made it at start-up there."""
    raw = io.FileIO(fd, "w" if write else "r", closefd=False)
    buffered: io.BufferedWriter | io.BufferedReader = io.BufferedWriter(raw) if write else io.BufferedReader(raw)
    return io.TextIOWrapper(buffered, encoding=info.get("encoding") or "utf-8",
                            errors=info.get("errors") or "strict",
                            line_buffering=write and (fd == 2 or os.isatty(fd)))


def _take(request: dict[str, Any], fds: list[int]) -> None:
    """Become the client's process: its descriptors, folder, environment, umask and arguments."""
    for target, fd in zip((0, 1, 2), fds, strict=True):
        os.dup2(fd, target)
    for fd in fds:
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()  # the C library read TZ when this process started
    os.umask(int(request["umask"]))
    infos = request.get("stdio")
    if not (isinstance(infos, list) and len(infos) == 3 and all(isinstance(i, dict) for i in infos)):
        infos = [{}, {}, {}]
    for name, fd, info in (("stdin", 0, infos[0]), ("stdout", 1, infos[1]), ("stderr", 2, infos[2])):
        stream = _stdio(fd, info, fd != 0)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)  # what libraries fall back to when sys.stdout was replaced
    sys.argv = ["c2c", *request["argv"]]
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the client forwards the user's Ctrl-C


def _end_with_client(conn: socket.socket) -> None:
    """A `c2c` killed outright (SIGKILL) cannot pass its signal on: end the command as if it had been killed.

    The client sends nothing after its request, so a read returns only when it has gone (or a status was
    sent and this process is ending anyway).
    """
    try:
        conn.recv(1)
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def worker(listen_fd: int) -> None:
    """Load everything, wait for one command, run it, send its status and exit."""
    # Until a command is taken, the supervisor's SIGUSR1 ends this worker; once taken, the command runs out.
    signal.signal(signal.SIGUSR1, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C meant for a supervisor run in the foreground
    parent = os.getppid()
    started = time.monotonic()
    _preload()
    loaded = _files()
    # The log (the supervisor's preload.log) says when each worker is ready, and how long loading took.
    print(f"worker {os.getpid()} ready after {time.monotonic() - started:.2f} s", file=sys.stderr, flush=True)
    listener = socket.socket(fileno=listen_fd)
    # A supervisor killed outright leaves no one to stop this worker: look once a second whether it is still
    # the parent, and go if not.
    listener.settimeout(1.0)
    while True:
        try:
            conn, _ = listener.accept()
            break
        except TimeoutError:
            if os.getppid() != parent:
                os._exit(0)
    conn.settimeout(None)
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    listener.close()
    if peer_uid(conn) != os.getuid():
        os._exit(0)
    request, fds = receive(conn)
    if request is None or len(fds) != 3:
        os._exit(0)
    if request.get("compat") != compatibility():
        send(conn, {"refused": "started with other code or settings"})
        os._exit(0)
    if _files() != loaded:
        send(conn, {"refused": "its code changed on disk"})
        os._exit(STALE)
    try:
        _take(request, fds)
    except (OSError, KeyError, TypeError, ValueError) as exc:  # a folder gone meanwhile: the script runs it
        send(conn, {"refused": f"cannot take the command: {exc}"})
        os._exit(0)
    send(conn, {"pid": os.getpid()})
    threading.Thread(target=_end_with_client, args=(conn,), daemon=True).start()
    from c2c_monitor.cli.tree import main

    code = run_command(main)
    try:
        wind_up()  # before the status: the client's shell must not see files still being closed
    except Exception:  # noqa: BLE001 - a closed pipe on the way out changes nothing about the status
        pass
    try:
        send(conn, {"exit": code})
    except OSError:
        pass
    os._exit(code)


# --- the supervisor ---------------------------------------------------------------------------------------
def _spawn(listen_fd: int, log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "from c2c_monitor.cli.preload_server import worker; "
                             f"worker({listen_fd})"], pass_fds=(listen_fd,), stdin=subprocess.DEVNULL,
                            stdout=log, stderr=log, cwd="/")


def _same_socket(path: Path, ino: int) -> bool:
    try:
        return os.lstat(path).st_ino == ino
    except OSError:
        return False


def supervise(workers: int, idle: float, background: bool = False) -> None:
    """Serve on the installation's socket until stopped, idle for `idle` seconds, or the socket is gone.

    `background`: once serving, write any message of its own to the log (`c2c preload start` has gone).
    """
    path = Path(socket_path())
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not private_folder(str(folder)):
        raise SystemExit(f"c2c: error: {folder} is not a private folder of this user (mode 0700); not serving")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Bind under a temporary name and rename: a client never meets a socket that nobody listens on yet.
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    listener.bind(str(tmp))
    os.chmod(tmp, 0o600)
    listener.listen(64)
    os.replace(tmp, path)
    ino = os.lstat(path).st_ino
    pid_path(path).write_text(str(os.getpid()), encoding="utf-8")
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    fd = listener.fileno()
    with open(folder / "preload.log", "ab") as log:
        if background:
            os.dup2(log.fileno(), 2)
        pool = [_spawn(fd, log) for _ in range(workers)]
        last = time.monotonic()
        try:
            while not stopping and _same_socket(path, ino) and time.monotonic() - last < idle:
                time.sleep(POLL)
                for i, proc in enumerate(pool):
                    status = proc.poll()
                    if status is None:
                        continue
                    last = time.monotonic()
                    if status == STALE:  # new code on disk: the waiting workers hold the old one
                        for other in pool:
                            if other.poll() is None:
                                other.send_signal(signal.SIGUSR1)
                    pool[i] = _spawn(fd, log)
        finally:
            if _same_socket(path, ino):
                path.unlink(missing_ok=True)
                pid_path(path).unlink(missing_ok=True)
            listener.close()
            for proc in pool:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGUSR1)  # waiting ones exit; one running a command finishes it
