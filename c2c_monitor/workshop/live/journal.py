"""An append-only, fsync'd journal of one live round: every answer is on disk before the phone hears "saved".

One JSON object per line. A `kill -9` (or a laptop lid closing) can at worst cut the last line short; replay
skips a line that is not whole JSON, so what a phone was told was saved is always there after a restart.
The file is locked for as long as a server has it open, so two servers never write the same round.

Requests use group commit (`write` then `await durable(seq)`): the line is written at once, in arrival order,
and the phone is answered only after an fsync that covers it. The fsync runs in a worker thread, so the event
loop keeps serving, and requests that arrive while one fsync is under way share the next one: a room of phones
pressing "next" together costs a few fsyncs, not one each in a queue.
"""

from __future__ import annotations

import asyncio
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
        self._written = 0  # sequence number of the last line handed to the OS
        self._synced = 0  # ... and of the last one known to be on disk
        self._flush: asyncio.Future[None] | None = None

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

    def write(self, event: dict[str, Any]) -> int:
        """Hand one event to the OS (not yet durable); returns its sequence number for `durable`."""
        data = b"\n" + json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        # The leading newline ends any torn line a crash left, so the new event always starts its own line.
        with self._lock:
            os.write(self._fd, data)
            self._written += 1
            return self._written

    def append(self, event: dict[str, Any]) -> None:
        """Write one event and fsync it before returning (for callers outside the event loop)."""
        seq = self.write(event)
        with self._lock:
            os.fsync(self._fd)
            self._synced = max(self._synced, seq)

    async def durable(self, seq: int) -> None:
        """Return once event `seq` is on disk; concurrent callers share one fsync (group commit)."""
        while self._synced < seq:
            if self._flush is None:
                self._flush = asyncio.ensure_future(self._fsync_all())
            flush = self._flush
            await asyncio.shield(flush)  # a cancelled request must not cancel the fsync others wait for

    async def _fsync_all(self) -> None:
        target = self._written  # every line written so far is covered by the fsync that starts now
        try:
            await asyncio.get_running_loop().run_in_executor(None, os.fsync, self._fd)
            self._synced = max(self._synced, target)
        finally:
            self._flush = None

    def raw(self) -> bytes:
        return self.path.read_bytes()

    def close(self) -> None:
        """Release the file and its lock (a second call does nothing)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
