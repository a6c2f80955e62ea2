"""`footfall-collector run` waits for SIGTERM; the kernel may hand it to any thread, not the main one.

Python runs a handler only when the main thread next runs Python code: an endless wait never saw a
SIGTERM that the dashboard or ingest thread took. The seam is the OS: `signal.pthread_kill` aims
the signal at a helper thread, as the kernel may.
"""

from __future__ import annotations

import signal
import threading
import time

from collector.cli import _wait_for_signal


def test_a_sigterm_taken_by_another_thread_ends_the_wait() -> None:
    main_thread = threading.get_ident()
    returned = threading.Event()
    signalled_at: list[float] = []

    def aim_at_this_thread() -> None:
        time.sleep(0.5)
        signalled_at.append(time.monotonic())
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)
        if not returned.wait(5.0):  # the bug: wake the main thread so the test fails instead of hanging
            signal.pthread_kill(main_thread, signal.SIGTERM)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        helper = threading.Thread(target=aim_at_this_thread, daemon=True)
        helper.start()
        _wait_for_signal()
        waited_s = time.monotonic() - signalled_at[0]
        returned.set()
        helper.join(10.0)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    assert waited_s < 2.0, f"the wait ended {waited_s:.1f} s after the signal"
