"""Must show 2: SIGKILL at random moments, 50 times; the outbox stays sound and nothing is lost.

Every fifth kill hits a real agent during start-up (imports, opening or
migrating the database), the others at a random moment once it counts
(storing a bucket, publishing, deleting acknowledged rows). After every kill the file must pass
`PRAGMA integrity_check`. At the end, the reports delivered (de-duplicated
by the subscriber's key) plus those still pending must be exactly the
reports produced: every sequence number the outbox ever gave. Keys must
never repeat across restarts: the aggregator starts each run after the last
bucket stored (see `BucketAggregator`), even though these runs map a fast,
looping clip onto the wall clock and would otherwise overlap.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from tests.helpers.broker import MosquittoBroker
from tests.helpers.subscriber import Subscriber
from tests.publish.agent_process import (
    agent_args,
    dedupe,
    integrity,
    outbox_rows,
    render_short_clip,
    start_agent,
    wait_for_log,
)

KILLS = 50


@pytest.mark.slow
def test_fifty_kills_leave_a_sound_outbox_and_lose_nothing(tmp_path: Path, broker: MosquittoBroker) -> None:
    clip = render_short_clip(tmp_path / "clip.avi")
    outbox, log = tmp_path / "state" / "outbox.db", tmp_path / "agent.log"
    subscriber = Subscriber(broker.host, broker.port)
    rng = random.Random(20261130)
    checks = []
    try:
        for kill in range(KILLS):
            offset = log.stat().st_size if log.exists() else 0
            agent = start_agent(agent_args(clip, outbox, broker.port, duration_s=60), log)
            if kill % 5 == 0:
                time.sleep(rng.uniform(0.1, 1.0))  # start-up: imports, opening, migrating
            else:
                # Once it counts: storing buckets, publishing, deleting acknowledged rows.
                assert wait_for_log(log, "stored counts report", 60, after=offset), log.read_text()[-2000:]
                time.sleep(rng.uniform(0.0, 0.8))
            agent.send_signal(signal.SIGKILL)
            agent.wait(10)
            assert agent.returncode == -signal.SIGKILL, f"the agent ended by itself: {agent.returncode}"
            if outbox.exists():
                checks.append(integrity(outbox))
        pending_before, counters_before = outbox_rows(outbox)
        delivered_before = dedupe(subscriber.of_kind("counts"))
        final = start_agent(agent_args(clip, outbox, broker.port, duration_s=1.0), log)
        assert final.wait(60) == 0, log.read_text()[-3000:]
        pending, counters = outbox_rows(outbox)
        produced = counters["next_seq"]
        delivered = dedupe(subscriber.wait_for("counts", produced, timeout_s=30))
    finally:
        subscriber.close()

    assert checks == ["ok"] * len(checks) and len(checks) >= KILLS - 5, checks
    seqs_before = {r["seq"] for r in delivered_before.values()} | {r["seq"] for r in pending_before}
    assert seqs_before == set(range(counters_before["next_seq"])), "after the kills: delivered ∪ pending"
    assert counters["evicted"] == 0
    assert pending == []
    assert len(delivered) == produced, "one key per report: no key reused across restarts"
    assert sorted(r["seq"] for r in delivered.values()) == list(range(produced))
    print(
        f"kill -9: {KILLS} kills, {len(checks)} integrity checks ok; before the final run "
        f"{counters_before['next_seq']} produced = {len(delivered_before)} delivered (unique keys) "
        f"+ {len(pending_before)} pending, overlap "
        f"{len(delivered_before) + len(pending_before) - counters_before['next_seq']}; "
        f"after it {produced} produced, {len(delivered)} delivered, 0 pending"
    )
