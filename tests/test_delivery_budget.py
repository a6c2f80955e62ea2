"""Must show 3: twice the budget through a real agent keeps the file under it; status counts the loss.

The broker is down while the agent produces about twice what fits in a
256 KiB outbox (one-second buckets of a one-frame-per-second clip come
fast). The test samples the file (and its WAL) all along. Then the broker
comes up, a second run delivers what is left, and its last status (the
clean stop's `offline`, which carries health) must say evicted =
produced - delivered.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent.geometry.shapes import FloorLine
from agent.sim.walkers import ClipSpec, Walker, render_clip
from tests.helpers.broker import MosquittoBroker
from tests.helpers.subscriber import Subscriber
from tests.publish.agent_process import agent_args, dedupe, outbox_rows, start_agent, stop_agent, stored_seqs

BUDGET = 256 * 1024
# 256 KiB holds about 500 of the agent's one-minute `counts` reports (about 0.4 KiB each in the file).
TARGET = 2 * 550


def _file_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return sum(p.stat().st_size for p in (path, wal) if p.exists())


@pytest.mark.slow
def test_twice_the_budget_stays_under_it_and_status_counts_what_was_dropped(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    clip = tmp_path / "fast.avi"  # one frame per second: every frame is a new bucket
    line = FloorLine("door", (0.6, 2.4), (5.2, 2.4), "left")
    render_clip(ClipSpec(160, 120, 0.04, 1.0, 20.0, line, (Walker((1.0, 0.2), (1.2, 4.6), 0.0, 1.0),)), clip)
    outbox, log = tmp_path / "state" / "outbox.db", tmp_path / "agent.log"
    budget = (f"outbox.max_bytes={BUDGET}",)
    broker.stop()
    agent = start_agent(agent_args(clip, outbox, broker.port, *budget, duration_s=120), log)
    sizes = []
    try:
        deadline = time.monotonic() + 90
        while len(stored_seqs(log)) < TARGET and time.monotonic() < deadline:
            if outbox.exists():
                sizes.append(_file_bytes(outbox))
            time.sleep(0.02)
        assert stop_agent(agent, log, 30) == 0, log.read_text()[-3000:]
    finally:
        if agent.poll() is None:
            agent.kill()
    sizes.append(_file_bytes(outbox))
    pending_first, counters_first = outbox_rows(outbox)
    assert counters_first["next_seq"] >= TARGET
    assert max(sizes) <= BUDGET, f"outbox grew to {max(sizes)} bytes, budget {BUDGET}"
    assert counters_first["evicted"] == counters_first["next_seq"] - len(pending_first) > 0

    broker.start()
    subscriber = Subscriber(broker.host, broker.port)
    try:
        second = start_agent(agent_args(clip, outbox, broker.port, *budget, duration_s=1.0), log)
        assert second.wait(60) == 0, log.read_text()[-2000:]
        pending, counters = outbox_rows(outbox)
        produced = counters["next_seq"]
        delivered = dedupe(subscriber.wait_for("counts", produced - counters["evicted"], timeout_s=30))
        statuses = [s for s in subscriber.of_kind("status") if s.get("outbox") is not None]
    finally:
        subscriber.close()
    assert pending == []
    assert statuses[-1]["state"] == "offline", "the clean stop's status carries the final health"
    status_evicted = statuses[-1]["outbox"]["evicted"]
    assert status_evicted == counters["evicted"] == produced - len(delivered)
    assert sorted(r["seq"] for r in delivered.values()) == list(range(counters["evicted"], produced))
    print(
        f"budget: {BUDGET} B budget, largest file+WAL seen {max(sizes)} B over {len(sizes)} samples; "
        f"{produced} produced, {len(delivered)} delivered, {status_evicted} evicted (status)"
    )
