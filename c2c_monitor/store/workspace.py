"""A workspace: one folder with one DuckDB file, a small config, and the partnership's own definitions.

Every command opens the workspace through `open_workspace`, which takes an
exclusive lock on the folder (so a second writer gets "workspace busy" rather
than a corrupt file) and brings the store schema up to date.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from c2c_monitor.errors import WorkspaceBusy, WorkspaceError

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

    from c2c_monitor.store.config import Config

DB_NAME = "workspace.duckdb"
CONFIG_NAME = "c2c.toml"
LOCK_NAME = ".c2c.lock"
OWN_INDICATORS = "own_indicators"

# The site title `c2c init` writes (DEFAULT_CONFIG): the interface's own text, so publish shows it in each
# page's language (publish/site.py); a title someone sets is shown as written.
DEFAULT_TITLE = "City-to-city partnerships"

DEFAULT_CONFIG = """\
# c2c-monitor workspace configuration
name = "{name}"
# Smallest stakeholder group shown separately in workshop results; smaller groups are merged.
min_group_size = 3
# Fewest ratings behind a published spread (lowest, highest, interquartile range); raise only.
min_spread_size = 5
# Language of worksheets and reports (en, fr, es).
language = "en"
# Licence of published open data.
licence = "CC-BY-4.0"
# Title of the published site (`c2c publish --title` overrides it).
title = "City-to-city partnerships"
"""


def resolve_dir(path: str | os.PathLike[str] | None) -> Path:
    if path is None:
        env = os.environ.get("C2C_WORKSPACE")
        if not env:
            raise WorkspaceError("no workspace given", hint="pass --workspace DIR or set C2C_WORKSPACE")
        path = env
    return Path(path).expanduser()


def read_config(root: Path) -> Config:
    """The workspace's `c2c.toml`, validated (store/config.py); defaults when there is none."""
    from c2c_monitor.store.config import read_config as read

    return read(root, CONFIG_NAME)


@dataclass
class Workspace:
    root: Path
    con: DuckDBPyConnection
    config: Config

    @property
    def own_indicators(self) -> Path:
        return self.root / OWN_INDICATORS


@contextlib.contextmanager
def _lock(root: Path, wait: float) -> Iterator[None]:
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + max(wait, 0.0)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise WorkspaceBusy(
                        f"workspace busy: {root} is in use by another c2c process",
                        hint="try again, or pass --wait SECONDS",
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def init_workspace(root: Path, name: str | None = None) -> Path:
    if (root / DB_NAME).exists():
        raise WorkspaceError(f"{root} already holds a workspace", hint="choose an empty folder")
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    (root / OWN_INDICATORS).mkdir(exist_ok=True)
    cfg = root / CONFIG_NAME
    if not cfg.exists():
        safe_name = (name or root.resolve().name).replace('"', "'").replace("\\", "/")
        cfg.write_text(DEFAULT_CONFIG.format(name=safe_name), encoding="utf-8")
    with open_workspace(root, create=True):
        pass
    return root


# A DuckDB instance made ahead of a command (`prepare_instance`), taken by the next `open_workspace`.
_READY: list[DuckDBPyConnection] = []


def _instance() -> DuckDBPyConnection:
    """A new in-memory DuckDB instance: extensions never auto-load (offline)."""
    import duckdb

    return duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})


def prepare_instance() -> None:
    """Make the DuckDB instance the next `open_workspace` of this process will use (a preloaded worker, while it
    waits for its command): making one takes some 20 ms, whatever the database, and attaching the store to it
    a few."""
    if not _READY:
        _READY.append(_instance())


# The thread `prepare_instance_beside` started, until `_connect` waits for it.
_MAKING: list[threading.Thread] = []


def prepare_instance_beside() -> None:
    """`prepare_instance` on a thread of its own, for a command that is about to load its modules and then open
    the workspace: DuckDB makes the instance without Python's lock (some 17 ms of a 0.35 s `c2c assess`),
    while the command's imports hold it. A failure there is left for `_connect`, which then makes its own
    instance and reports what DuckDB says."""
    if _READY or _MAKING:
        return

    def make() -> None:
        with contextlib.suppress(Exception):
            prepare_instance()

    thread = threading.Thread(target=make, name="c2c-duckdb-instance")
    _MAKING.append(thread)
    thread.start()


def _connect(db: Path) -> DuckDBPyConnection:
    """A connection whose default database is the store `db`.

    The store is attached to an instance of its own (made now, or ahead by `prepare_instance`) under the name
    DuckDB gives a file opened directly (its stem, `workspace`), made the default, and the in-memory database the
    instance started with is detached: statements, temporary tables and every cursor made from the connection
    (each a connection of its own, which starts in the instance's default database) then see what a connection
    opened on the file would. Closing the connection closes the instance, which checkpoints the store.
    """
    while _MAKING:
        _MAKING.pop().join()
    con = _READY.pop() if _READY else _instance()
    try:
        con.execute("ATTACH ? AS workspace", [str(db)])
        con.execute("USE workspace")
        con.execute("DETACH memory")
        # No progress bar of DuckDB's own on the user's terminal.
        con.execute("SET enable_progress_bar = false")
    except BaseException:
        con.close()
        raise
    return con


@contextlib.contextmanager
def open_workspace(root: Path, wait: float = 0.0, create: bool = False) -> Iterator[Workspace]:
    import duckdb

    from c2c_monitor.store.schema import migrate

    db = root / DB_NAME
    if not create and not db.exists():
        raise WorkspaceError(f"no workspace at {root}", hint="create one with `c2c init DIR` (or `--demo`)")
    with _lock(root, wait):
        config = read_config(root)  # a broken c2c.toml is refused before the store is opened
        try:
            con = _connect(db)
        except duckdb.Error as exc:
            raise WorkspaceError(f"{db}: cannot open the workspace store: {exc}") from None
        try:
            migrate(con, db)
            yield Workspace(root, con, config)
        finally:
            con.close()
