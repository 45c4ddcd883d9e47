"""Files written whole or not at all: beside the target, then renamed onto it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(out: Path) -> Iterator[Path]:
    """A temporary path beside `out` to write to; renamed onto `out` if the block ends without error.

    A reader sees the old file or the new one, never half of one; a failed or killed writer leaves at
    most a hidden `.NAME.tmp-PID` beside it.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
