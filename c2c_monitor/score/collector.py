"""Python's cycle collector paused while a large result of plain objects is built (scoring, open data).

Standard library only. Scoring builds such results first; publishing (a later stage) uses the same pause.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The cycle collector off for the block, back on (if it was on) after it.

    A cohort of 1,000 makes some two million small objects (rows, dicts, models), every one kept until the
    scoreboards are returned; each of the collector's full passes meanwhile walks all of them again, a fifth of
    the scoring time, and finds nothing: these objects hold no reference cycles. The open data's figures of the
    same cohort (some 120,000 row tuples) set off full passes over those scoreboards in turn: 0.44 s where the
    work itself takes 0.17 s. Reference counting still frees what is dropped; the collector runs again, as
    before, once the block ends.

    When it resumes, the objects made meanwhile are all in its youngest generation, and its first pass would walk
    every one of them (about 0.3 s at 1,000 partnerships, for nothing). `gc.freeze()` then `gc.unfreeze()` moves
    them, without walking them, to the oldest generation (as documented: frozen objects are put back into the
    oldest generation), the one a long-lived result belongs to: nothing leaks, the collector still examines
    them at its next full pass, which it schedules as always. Skipped when the process froze objects itself
    (unfreezing would undo that).
    """
    was_on = gc.isenabled()
    promote = gc.get_freeze_count() == 0
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            if promote:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
