"""`c2c preload start|stop|status`: keep loaded c2c processes waiting, so that each command starts at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from c2c_monitor.cli.messages import _
from c2c_monitor.cli.preload_client import socket_path
from c2c_monitor.cli.preload_server import pid_path


def _running(sock: Path) -> int | None:
    """The supervisor's pid if it runs and still serves this socket, else None."""
    try:
        pid = int(pid_path(sock).read_text(encoding="utf-8").strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid if sock.exists() else None


@click.group()
def preload() -> None:
    """Keep loaded c2c processes waiting, so that each command starts without loading its libraries.

    A `c2c` command then takes about half a second less (the imports of polars, DuckDB, pydantic and rich).
    Each command still runs in a process of its own, with your folder, environment and terminal; a worker
    whose code changed on disk hands the command back and is replaced. C2C_PRELOAD=0 turns it off for one
    command.
    """


@preload.command("start")
@click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Loaded processes kept waiting (each runs one command, then a new one loads).")
@click.option("--idle", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Stop after this many minutes without a command.")
@click.option("--foreground", is_flag=True, help="Serve in this terminal until Ctrl-C instead of in the background.")
def preload_start(workers: int, idle: float, foreground: bool) -> None:
    """Start the preloader for this installation of c2c (one per Python environment)."""
    sock = Path(socket_path())
    pid = _running(sock)
    if pid is not None:
        click.echo(_("preloader already running (pid %(pid)s): %(path)s", pid=pid, path=sock), err=True)
        return
    if foreground:
        from c2c_monitor.cli.preload_server import supervise

        supervise(workers, idle * 60)
        return
    proc = subprocess.Popen(
        [sys.executable, "-c", f"from c2c_monitor.cli.preload_server import supervise; supervise({workers}, "
         f"{idle * 60!r}, background=True)"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None and _running(sock) != proc.pid:
        time.sleep(0.05)
    if _running(sock) != proc.pid:
        if proc.poll() is None:
            proc.terminate()
        err = (proc.stderr.read().decode(errors="replace").strip() if proc.stderr else "") or "?"
        raise click.ClickException(_("the preloader did not start: %(why)s", why=err.splitlines()[-1]))
    if proc.stderr:
        proc.stderr.close()
    minutes = f"{idle:g}"
    click.echo(_("preloader started (pid %(pid)s, %(workers)s workers, stops after %(idle)s min idle): "
                 "%(path)s", pid=proc.pid, workers=workers, idle=minutes, path=sock), err=True)


@preload.command("stop")
def preload_stop() -> None:
    """Stop the preloader; a command it is running finishes first. Exit 1 if none was running."""
    sock = Path(socket_path())
    pid = _running(sock)
    if pid is None:
        click.echo(_("no preloader running"), err=True)
        sys.exit(1)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running(sock) is not None:
        time.sleep(0.05)
    click.echo(_("preloader stopped (pid %(pid)s)", pid=pid), err=True)


@preload.command("status")
def preload_status() -> None:
    """Say whether a preloader runs for this installation; exit 1 if none does."""
    sock = Path(socket_path())
    pid = _running(sock)
    if pid is None:
        click.echo(_("no preloader running"))
        sys.exit(1)
    click.echo(_("preloader running (pid %(pid)s): %(path)s", pid=pid, path=sock))
