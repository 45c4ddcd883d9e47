"""Run one command in this process and end the process: the `c2c` script and every preloaded worker.

Ending a `c2c` run the ordinary way costs about 50 ms after the command is done (the interpreter takes apart
polars, DuckDB and some 600 modules one object at a time), a seventh of a whole `c2c assess` of one demo
partnership. Nothing of that is the command's: its files are closed and renamed, its workspace closed (and
checkpointed) by its own `with` blocks. So the process ends as the interpreter would, up to that point, and
then leaves: the threads that are not daemons are waited for, the `atexit` functions run (temporary
folders are removed there), standard output and error are flushed, and `os._exit` skips the teardown.

Standard library only: the `c2c` script imports it before anything else.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing itself is not imported: see preload_client
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn

# Collecting while the libraries import finds nothing to free (every object made is a module's and lives to
# the end) and costs a tenth of the imports' time; the collector comes back this long after the start, so a
# long command runs with it as any other Python program.
COLLECTOR_OFF_FOR = 1.0


def collector_off_at_start() -> None:
    """Turn the cyclic garbage collector off now and back on after COLLECTOR_OFF_FOR seconds."""
    import gc
    import threading

    gc.disable()
    timer = threading.Timer(COLLECTOR_OFF_FOR, gc.enable)
    timer.daemon = True  # a command that ends sooner does not wait for it
    timer.start()


def run_command(main: Callable[[], None]) -> int:
    """Run `main` (the click tree's) and give the exit status Python would give for what it raised."""
    import traceback

    try:
        main()
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        traceback.print_exc()
        return 130
    except BaseException:  # noqa: BLE001 - as Python itself: the traceback on the user's standard error, status 1
        traceback.print_exc()
        return 1
    return 0


def wind_up() -> None:
    """What the interpreter does at exit before it takes the modules apart: wait for the threads that are not
    daemons (a thread pool's workers are told to stop first), run the `atexit` functions, flush the standard
    streams."""
    import atexit

    threading = sys.modules.get("threading")
    # CPython's own first step at exit (private, in every CPython since 3.4; this project runs on 3.11): it also
    # wakes a thread pool's idle workers, which a plain join of every thread would wait on for ever.
    shutdown = getattr(threading, "_shutdown", None) if threading is not None else None
    try:
        if shutdown is not None:
            shutdown()
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):  # a reader gone (`| head`) or a closed stream: nothing left to say
                pass


def end(code: int) -> NoReturn:
    """Leave with `code` once `wind_up` has run, without the interpreter's teardown."""
    wind_up()
    os._exit(code)
