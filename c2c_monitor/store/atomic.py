"""Files written whole or not at all, to targets that are safe to write.

`replacing` writes beside the target, then renames onto it. `check_target` refuses a target that would
destroy an input: the workspace's own store or any file in its folder, or a file the command reads.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from c2c_monitor.errors import C2CError

# Paths whose files are not ordinary files even when they look like one (/dev/stdout may point at a
# regular file when standard output is redirected): they are written in place, never renamed over.
_SPECIAL_ROOTS = ("/dev/", "/proc/")


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    """The resolved path and, if it exists, (device, inode): a hard link or a `x/../x` spelling is the same."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError:
        return real, None
    return real, (st.st_dev, st.st_ino)


def check_target(target: str | os.PathLike[str] | None, workspace_root: str | os.PathLike[str] | None = None,
                 inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Refuse (C2CError, exit 2) an output that is the workspace store, inside the workspace folder, or an input.

    Called before any work, so that a refused command changes nothing. `-` (standard output) and devices
    are always allowed: writing them destroys nothing that is kept.
    """
    if target is None or str(target) == "-":
        return
    real, ident = _identity(Path(target))
    if real.startswith(_SPECIAL_ROOTS) or (ident is not None and not _is_dir_or_file(real)):
        return
    if workspace_root is not None:
        root_real, root_ident = _identity(Path(workspace_root))
        if root_ident is not None:
            # Inside the workspace folder (by name or by being the folder itself), or a hard link to one of
            # its files (a hard link can live anywhere): both would replace what the workspace keeps.
            if real == root_real or real.startswith(root_real.rstrip("/") + "/") or ident == root_ident:
                raise C2CError(f"refusing to write {target}: it is inside the workspace {workspace_root}",
                               hint="write outputs outside the workspace folder")
            if ident is not None and ident in _workspace_files(Path(root_real)):
                raise C2CError(f"refusing to write {target}: it is a file of the workspace {workspace_root}",
                               hint="write outputs outside the workspace folder")
    for src in inputs:
        src_real, src_ident = _identity(Path(src))
        if real == src_real or (ident is not None and ident == src_ident):
            raise C2CError(f"refusing to write {target}: it is the input {src}", hint="choose another file")


def _is_dir_or_file(real: str) -> bool:
    mode = os.stat(real).st_mode
    return stat.S_ISREG(mode) or stat.S_ISDIR(mode)


def _workspace_files(root: Path) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    for dirpath, _, names in os.walk(root):
        for n in names:
            try:
                st = os.lstat(os.path.join(dirpath, n))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                found.add((st.st_dev, st.st_ino))
    return found


def written_in_place(out: Path) -> bool:
    """A device, a FIFO, a socket or /dev/stdout: renaming a file over it would replace it, not write to it."""
    if os.path.abspath(out).startswith(_SPECIAL_ROOTS):
        return True
    try:
        return not stat.S_ISREG(os.stat(out).st_mode)
    except FileNotFoundError:
        return False


@functools.cache
def current_umask() -> int:
    """The process's umask (read once: reading it means setting it, and other threads may be creating files)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def replacing(out: Path) -> Iterator[Path]:
    """A temporary path to write to; its content lands on `out` if the block ends without error.

    A regular file is replaced by a rename: a reader sees the old file or the new one, never half of one.
    The temporary is made with O_CREAT|O_EXCL under an unpredictable name, so a symlink planted beside the
    target is never followed, and only that file is ever removed. `-` is standard output; a device or FIFO
    is written in place (a rename would turn /dev/null into a regular file).
    """
    if str(out) == "-" or written_in_place(out):
        fd, name = tempfile.mkstemp(prefix="c2c-out-", suffix=out.suffix)
        os.close(fd)
        tmp = Path(name)
        try:
            yield tmp
            with tmp.open("rb") as src:
                if str(out) == "-":
                    sys.stdout.flush()
                    shutil.copyfileobj(src, sys.stdout.buffer)
                    sys.stdout.buffer.flush()
                else:
                    with open(out, "wb") as dst:
                        shutil.copyfileobj(src, dst)
        finally:
            tmp.unlink(missing_ok=True)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    done = False
    try:
        yield tmp
        # mkstemp makes the file 0600; the output gets the mode a plain open() would have given it.
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, out)
        done = True
    finally:
        if not done:
            tmp.unlink(missing_ok=True)
