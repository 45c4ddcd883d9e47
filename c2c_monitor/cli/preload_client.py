"""Hand a command to a preloaded c2c process when one is running (`c2c preload start`), else do nothing.

A `c2c` run spends most of a small command's time importing polars, DuckDB, pydantic and rich (about half a
second on the development machine, more than a whole `c2c assess` of one partnership takes once they are
loaded). `c2c preload start` keeps a few worker processes that have done those imports and wait on a Unix
socket. The `c2c` script first looks for that socket; if a worker answers, the script passes it its own
standard input, output and error (the file descriptors themselves), its arguments, working folder,
environment and umask, forwards the signals it receives, and exits with the worker's exit status. Each worker
runs one command and exits, so every command still runs in a process of its own, as a fresh `c2c` would.

The same idea as Ruby's Spring or the JVM's Nailgun, without fork(): polars starts threads on import, and a
process with threads must not fork, so workers are started fresh and wait already loaded.

This module is imported by every `c2c` run before anything else, so it uses the standard library only and
gives up quietly (the command then runs in this process) whenever anything is not exactly as expected.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import struct
import sys
import zlib

# The standard idiom without importing typing (a twelfth of this module's budget); mypy reads it as usual.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Protocol: every message is a 4-byte big-endian length and that many bytes of UTF-8 JSON. The client sends
# one request (with its descriptors 0, 1 and 2 attached); the worker answers {"pid": n} or {"refused": why},
# then {"exit": status} when the command has ended.
_HEADER = struct.Struct(">I")
MAX_MESSAGE = 16 * 1024 * 1024  # an environment and arguments, never more: anything bigger is not ours
OFF_VALUES = {"0", "off", "no", "false"}


# Paths are plain strings here: pathlib would add its imports to every `c2c` run.
def package_dir() -> str:
    return os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def socket_folder() -> str:
    """$C2C_PRELOAD_DIR, else a c2c-monitor folder in $XDG_RUNTIME_DIR (per user, private), else in /tmp."""
    if os.environ.get("C2C_PRELOAD_DIR"):
        return os.environ["C2C_PRELOAD_DIR"]
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "c2c-monitor")
    return os.path.join("/tmp", f"c2c-monitor-{os.getuid()}")


def private_folder(folder: str) -> bool:
    """The folder is a real folder of ours that nobody else may write to (or list): safe to trust its socket."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def socket_path() -> str:
    """One socket per installation: the interpreter and the package folder (two venvs never share workers)."""
    where = f"{sys.executable}\0{package_dir()}".encode()
    key = f"{zlib.crc32(where):08x}"
    return os.path.join(socket_folder(), f"preload-{key}.sock")


def compatibility() -> dict[str, Any]:
    """What a process fixes when it starts, that a worker must share with the client to run its command alike.

    The import path decides which code runs; the encodings decide how files and names are read; the rest of
    the environment is applied per command.
    """
    import locale

    return {
        "executable": sys.executable,
        "version": sys.version,
        "package": package_dir(),
        "path": sys.path[1:],  # [0] is the script's or the working folder: not about which code is loaded
        "utf8_mode": sys.flags.utf8_mode,
        "filesystem": sys.getfilesystemencoding(),
        "encoding": locale.getpreferredencoding(False),
    }


def send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    frame = _HEADER.pack(len(data)) + data
    if fds:
        sent = socket.send_fds(sock, [frame], fds)
        sock.sendall(frame[sent:])
    else:
        sock.sendall(frame)


def _exactly(sock: socket.socket, n: int, fds: list[int]) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        data, new_fds, _flags, _addr = socket.recv_fds(sock, n - got, 3)
        fds.extend(new_fds)
        if not data:
            return None
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def receive(sock: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    """The next message and any descriptors sent with it; (None, []) when the other side has gone."""
    fds: list[int] = []
    head = _exactly(sock, _HEADER.size, fds)
    if head is None:
        return None, fds
    (length,) = _HEADER.unpack(head)
    if length > MAX_MESSAGE:
        return None, fds
    body = _exactly(sock, length, fds)
    if body is None:
        return None, fds
    try:
        message = json.loads(body)
    except ValueError:
        return None, fds
    return (message if isinstance(message, dict) else None), fds


def peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])


def _stream_info(stream: Any) -> dict[str, Any] | None:
    return {"encoding": getattr(stream, "encoding", None) or "utf-8",
            "errors": getattr(stream, "errors", None) or "strict"}


def run_preloaded(argv: list[str]) -> int | None:
    """Run `c2c ARGV` in a preloaded worker and return its exit status; None if none could take it.

    None means nothing has been done: no worker answered, or one refused before starting (other code or
    settings than this process, or its code changed on disk since it loaded it), and the caller runs the
    command itself. C2C_PRELOAD=0 turns the look-up off.
    """
    if os.environ.get("C2C_PRELOAD", "").strip().lower() in OFF_VALUES:
        return None
    path = socket_path()
    if not private_folder(os.path.dirname(path)):
        return None
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)  # a closed standard stream cannot be passed on: run here, where it behaves as usual
    except OSError:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        if peer_uid(sock) != os.getuid():
            return None
        mask = os.umask(0o022)
        os.umask(mask)
        send(sock, {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "umask": mask,
                    "compat": compatibility(),
                    "stdio": [_stream_info(s) for s in (sys.stdin, sys.stdout, sys.stderr)]}, [0, 1, 2])
        first, _ = receive(sock)
    except OSError:
        sock.close()
        return None
    if first is None or not isinstance(first.get("pid"), int):
        sock.close()
        return None
    return _wait_for(sock, first["pid"])


def _wait_for(sock: socket.socket, pid: int) -> int:
    """Forward the signals a user sends to `c2c` (Ctrl-C, a kill) to the worker, and wait for its status."""

    def forward(signum: int, _frame: Any) -> None:
        try:
            os.kill(pid, signum)
        except OSError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)
    try:
        while True:
            try:
                message, _ = receive(sock)
                break
            except InterruptedError:
                continue
    except OSError:
        message = None
    finally:
        sock.close()
    if message is None or not isinstance(message.get("exit"), int):
        # The worker died without a status (killed, out of memory): say so, as a shell would for a process.
        sys.stderr.write("c2c: error: the preloaded process ended without an exit status\n")
        return 1
    return int(message["exit"])
