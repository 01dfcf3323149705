"""The process around one command run from a shell: ``python -m assess`` and the ``assess`` script.

A command's process imports a few hundred modules, builds its objects once, runs one command and
exits. Python's cyclic garbage collector is tuned for the opposite: a long-running program that
keeps making short-lived cycles. Two settings fit a command's process better and change nothing of
what the command does:

* **While the command runs** the youngest generation is collected every ``COMMAND_THRESHOLDS[0]``
  container allocations instead of every 700. Starting a command allocates a few hundred thousand
  objects (modules, classes, functions, statements) that all live until the end; with the default
  threshold the collector walks them about 160 times on the way and frees nothing. The older
  generations keep their default ratios, so a long command (an import of a million lines) still
  collects its cycles.
* **When the command has finished** — its output written, its database closed (by ``dispatch``,
  and any other database the process still holds by ``foundation.db.dispose_open_databases``) —
  every object still alive is frozen (``gc.freeze``). The interpreter's shutdown then does not walk
  and free the whole heap object by object (about 0.2 s for ``audit verify`` on the demo database);
  the operating system takes the memory back at once. ``atexit`` handlers, the flushing of the
  standard streams and the closing of files by reference counting happen as before.

The interface (``assess`` with no arguments) runs with the default thresholds: it is the
long-running program the defaults are made for. ``main`` and ``dispatch`` stay free of both
settings, so that tests can call them in one process many times.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable

# (youngest, middle, oldest): the youngest collected every 20,000 container allocations; the
# middle every 10 of those, the oldest every 10 of the middle's, as Python's defaults have it.
COMMAND_THRESHOLDS = (20_000, 10, 10)
DEFAULT_THRESHOLDS = gc.get_threshold()  # as this process started


def run_command_process(main: Callable[[], int]) -> int:
    """Run ``main`` (one command, or the interface) as the whole life of this process and return
    its exit code. Only for the process's entry point: it freezes every object before returning."""
    gc.set_threshold(*COMMAND_THRESHOLDS)
    try:
        return main()
    finally:
        from assess.foundation.db import dispose_open_databases

        gc.set_threshold(*DEFAULT_THRESHOLDS)
        dispose_open_databases()  # a frozen connection would never be closed
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more can be written anyway
                pass
        gc.freeze()


def interface_thresholds() -> None:
    """Give the interface the collector's default thresholds back before it opens."""
    gc.set_threshold(*DEFAULT_THRESHOLDS)
