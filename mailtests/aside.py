"""Work beside the parent's: one function run in a forked child while the parent does its own.

A run ends by writing two files from one document, results.json and audit.html, with two pure-Python writers
that hold the GIL: in one process they take turns (about a second each at 1,000 domains on the project's
2-core machine) while the other core, which the warm-up processes used until then, idles. :func:`beside`
writes one of them in a forked child (it shares the document's pages; it only reads them) while the parent
writes the other.

Nothing is lost when the child cannot do its work: where there is no fork, one core, or another thread that
might hold a lock the child needs, the work is done here at once; a child that fails (an exception, a signal)
is followed by the same work here, which raises what went wrong as it would have without the child.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .forked import available


@contextmanager
def beside(work: Callable[[], object], fork: bool = True) -> Iterator[None]:
    """Run ``work`` in a forked child while the ``with`` body runs here; at its end, wait for the child, and do
    ``work`` here if the child did not finish it. ``fork=False`` (or no safe fork) does ``work`` here first."""
    pid = _start(work) if fork and available() else None
    if pid is None:
        work()
        yield
        return
    try:
        yield
    finally:  # the child is reaped even when the body fails (and is then left to that failure)
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        work()


def _start(work: Callable[[], object]) -> int | None:
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid:
        return pid
    status = 1
    try:  # the child: no cyclic GC (it would touch, and so copy, the parent's pages), no exit handlers
        gc.disable()
        work()
        status = 0
    finally:
        os._exit(status)
