"""Waiting on the main thread for a stop that a signal handler sets.

The kernel may hand a process's signal (SIGTERM from systemd, Ctrl-C) to any of its threads, and
Python runs the handler only when the main thread next runs Python code. A main thread in one
long `Event.wait` therefore held a SIGTERM taken by another thread until the wait ran out: for
ever without a time limit. Waiting in short steps runs the handler within one step.
"""

from __future__ import annotations

import threading
import time

SIGNAL_CHECK_S = 0.25  # the longest the main thread waits without running Python code


def wait_for_stop(stop: threading.Event, duration_s: float | None = None) -> None:
    """Return once `stop` is set or `duration_s` seconds (None: no limit) have passed, whichever
    thread took the signal whose handler sets `stop`."""
    deadline_s = None if duration_s is None else time.monotonic() + duration_s
    while not stop.is_set():
        left_s = SIGNAL_CHECK_S if deadline_s is None else min(SIGNAL_CHECK_S, deadline_s - time.monotonic())
        if left_s <= 0:
            return
        stop.wait(left_s)
