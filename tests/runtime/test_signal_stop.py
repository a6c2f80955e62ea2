"""A stop signal the kernel hands to a thread other than the main one still stops the agent at once.

The kernel may deliver a process's SIGTERM to any of its threads. Python runs the handler only
in the main thread, when that thread next runs Python code; a main thread in one long wait held
the stop until `--duration` ran out (and for ever without one): in one CI run an agent did not
stop within 60 s of SIGTERM. The seam is the OS: `signal.pthread_kill` aims the signal at a
helper thread, as the kernel may.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from agent.config import load_config
from agent.runtime.pipeline import Pipeline
from tests.helpers.broker import MosquittoBroker
from tests.publish.agent_process import EXAMPLE, render_short_clip


@pytest.mark.slow
def test_a_signal_taken_by_another_thread_stops_the_run_within_seconds(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    clip = render_short_clip(tmp_path / "clip.avi")
    config = load_config(
        EXAMPLE,
        [
            f"source.path='{clip}'",
            "source.realtime=true",  # a live camera's pace: the run would last its whole duration
            "source.loop=true",
            f"outbox.path='{tmp_path / 'o.db'}'",
            f"mqtt.port={broker.port}",
            "mqtt.host='127.0.0.1'",
        ],
    )
    stop = threading.Event()
    signalled_at: list[float] = []

    def aim_at_this_thread() -> None:
        time.sleep(2.0)  # the stages are running
        signalled_at.append(time.monotonic())
        signal.pthread_kill(threading.get_ident(), signal.SIGUSR2)

    previous = signal.signal(signal.SIGUSR2, lambda _signum, _frame: stop.set())
    try:
        threading.Thread(target=aim_at_this_thread, daemon=True).start()
        summary = Pipeline(config).run(stop, duration_s=120.0)
        stopped_after_s = time.monotonic() - signalled_at[0]
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert summary.frames > 0 and summary.failure is None
    assert stopped_after_s < 15.0, f"stopped {stopped_after_s:.1f} s after the signal (120 s: it waited out)"
