"""Must show 1: the broker goes away for many buckets and comes back; every report arrives, in order.

A real agent process counts a looping clip in one-second buckets while the
test stops its private Mosquitto. The broker keeps the subscriber's session
on disk across the restart, so anything missing at the subscriber is the
agent's loss, not the test's.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers.broker import MosquittoBroker
from tests.helpers.subscriber import Subscriber
from tests.publish.agent_process import (
    agent_args,
    dedupe,
    outbox_rows,
    render_short_clip,
    start_agent,
    stop_agent,
    stored_seqs,
    wait_for_log,
)

OUTAGE_BUCKETS = 150


def _wait_stored(log: Path, count: int, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        seqs = stored_seqs(log)
        if len(seqs) >= count:
            return len(seqs)
        time.sleep(0.05)
    raise AssertionError(f"the agent stored {len(stored_seqs(log))} report(s), expected {count}")


@pytest.mark.slow
def test_every_report_made_during_an_outage_arrives_in_seq_order(tmp_path: Path) -> None:
    broker = MosquittoBroker(tmp_path / "mosquitto", persistent=True)
    broker.start()
    subscriber = Subscriber(broker.host, broker.port, client_id="central", session_expiry_s=600)
    clip = render_short_clip(tmp_path / "clip.avi")
    outbox, log = tmp_path / "state" / "outbox.db", tmp_path / "agent.log"
    agent = start_agent(agent_args(clip, outbox, broker.port, duration_s=120), log)
    try:
        assert len(subscriber.wait_for("counts", 5, timeout_s=30)) >= 5, log.read_text()
        broker.stop()
        at_stop = len(stored_seqs(log))
        _wait_stored(log, at_stop + OUTAGE_BUCKETS, timeout_s=60)
        # Read where the log stands before the broker is back: the agent may reconnect within
        # milliseconds of it listening, before broker.start() returns.
        reconnect_from = log.stat().st_size
        broker.start()
        assert wait_for_log(log, "connected to broker", 30, after=reconnect_from), log.read_text()[-3000:]
        _wait_stored(log, len(stored_seqs(log)) + 20, timeout_s=30)
        assert stop_agent(agent, log, 60) == 0, log.read_text()[-3000:]
        produced = len(stored_seqs(log))
        counts = subscriber.wait_for("counts", produced, timeout_s=30)
    finally:
        if agent.poll() is None:
            agent.kill()
        subscriber.close()
        broker.stop()

    pending, counters = outbox_rows(outbox)
    assert pending == [] and counters["next_seq"] == produced, "all stored, all acknowledged"
    first_arrivals: list[int] = []
    for report in counts:
        if report["seq"] not in first_arrivals:
            first_arrivals.append(report["seq"])
    assert first_arrivals == list(range(produced)), "every seq arrives, in order, without gaps"
    unique = dedupe(counts)
    assert len(unique) == produced, "one key per report"
    starts = sorted(r["bucket_start"] for r in unique.values())
    assert starts == [r["bucket_start"] for r in sorted(unique.values(), key=lambda r: r["seq"])]
    assert produced - at_stop >= OUTAGE_BUCKETS
    print(f"outage: {produced} reports produced, {produced - at_stop} during/after the outage, "
          f"{len(counts)} messages received, {len(unique)} unique, 0 pending")  # fmt: skip
