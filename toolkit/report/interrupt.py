"""SIGTERM handled as Ctrl-C while a sweep renders, for the local sweep (`toolkit.report.sweep`) and
the Dask one (`toolkit.distributed.sweep`) alike.

SIGTERM is how `timeout`, systemd, CI cancellation, `kill` and Kubernetes ask a process to stop; a
sweep that died at once would leave reports its index does not list and (on a cluster) worker kernels
running. GNU `timeout` sends its SIGTERM twice at once, to the process and to its process group, so
a SIGTERM within `BURST_SECONDS` of the first is the same request; only a later one ends the process
at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator

BURST_SECONDS = 1.0  # SIGTERMs this close to the first are one request (timeout's pid + group)
_clock = time.monotonic  # read through the module, so a test can move time by hand


@contextlib.contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """In the main thread, SIGTERM during the block is handled as Ctrl-C (a KeyboardInterrupt): no
    new report starts, the reports written stay and the index lists what was not rendered. A SIGTERM
    within `BURST_SECONDS` of the first is ignored (the same request sent twice), in the block or
    after it; a later one goes to the handler from before the block (with none, the default: the
    process ends at once), which is back after the block. After a block that had a SIGTERM, the
    handler left in place passes a SIGTERM to that handler once the burst is over (and puts it back):
    the block ends as soon as the first one's KeyboardInterrupt leaves it, and a duplicate the
    sender was slow to send (a loaded machine: a CI failure, exit -15 with no index) used to find the
    default handler there and end the process before its clean-up."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set a handler (a sweep run from a thread: as before)
        return
    previous = signal.getsignal(signal.SIGTERM)
    restore = previous if previous is not None else signal.SIG_DFL
    first: list[float] = []

    def interrupt(signum: int, frame: object) -> None:
        now = _clock()
        if not first:
            first.append(now)
            raise KeyboardInterrupt
        if now - first[0] < BURST_SECONDS:
            return  # the duplicate of the first request
        signal.signal(signal.SIGTERM, restore)
        signal.raise_signal(signal.SIGTERM)  # a new request: as if the block had never been

    def after(signum: int, frame: object) -> None:
        if _clock() - first[0] < BURST_SECONDS:
            return  # the duplicate of the request that ended the block
        signal.signal(signal.SIGTERM, restore)
        signal.raise_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, after if first else restore)
