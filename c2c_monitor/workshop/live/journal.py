"""An append-only, fsync'd journal of one live round: every answer is on disk before the phone hears "saved".

One JSON object per line. A `kill -9` (or a laptop lid closing) can at worst cut the last line short; replay
skips a line that is not whole JSON, so what a phone was told was saved is always there after a restart.
The file is locked for as long as a server has it open, so two servers never write the same round.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import threading
from pathlib import Path
from typing import Any

from c2c_monitor.errors import WorkspaceBusy

LIVE_DIR = "live"


def journal_path(root: Path, pid: str, round_id: str) -> Path:
    # pid and round_id are checked by the caller (partnership known, round id a plain token).
    return root / LIVE_DIR / f"{pid}--{round_id}.jsonl"


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self._fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise WorkspaceBusy(f"{path} is in use by another `c2c workshop serve`",
                                    hint="stop the other server first") from None
            raise
        self._lock = threading.Lock()

    def replay(self) -> list[dict[str, Any]]:
        """Every whole event in the file, in the order written (a torn last line is dropped)."""
        events = []
        for line in self.path.read_bytes().split(b"\n"):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue  # the tail of a write cut by a crash: that request was never answered "saved"
            if isinstance(obj, dict):
                events.append(obj)
        return events

    def append(self, event: dict[str, Any]) -> None:
        data = b"\n" + json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        # The leading newline ends any torn line a crash left, so the new event always starts its own line.
        with self._lock:
            os.write(self._fd, data)
            os.fsync(self._fd)

    def raw(self) -> bytes:
        return self.path.read_bytes()

    def close(self) -> None:
        """Release the file and its lock (a second call does nothing)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
