"""Must show 6: after kill -9 the retained status says `offline` within 1.5x keepalive; after restart `online`."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.helpers.broker import MosquittoBroker
from tests.helpers.subscriber import Subscriber
from tests.publish.agent_process import agent_args, render_short_clip, start_agent

KEEPALIVE_S = 5
STATUS_TOPIC = "footfall/v1/demo-street-1/door-cam-1/status"


def _wait_state(subscriber: Subscriber, state: str, after: int, timeout_s: float) -> dict[str, object] | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for payload in subscriber.of_kind("status")[after:]:
            if payload["state"] == state:
                return payload
        time.sleep(0.02)
    return None


@pytest.mark.slow
def test_kill_9_gives_retained_offline_and_restart_gives_online(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    clip = render_short_clip(tmp_path / "clip.avi")
    outbox, log = tmp_path / "state" / "outbox.db", tmp_path / "agent.log"
    args = agent_args(clip, outbox, broker.port, f"mqtt.keepalive_s={KEEPALIVE_S}", duration_s=60)
    subscriber = Subscriber(broker.host, broker.port, topic=STATUS_TOPIC)
    agent = start_agent(args, log)
    try:
        online = _wait_state(subscriber, "online", 0, 30)
        assert online is not None, log.read_text()[-2000:]
        seen = len(subscriber.of_kind("status"))
        killed_at = time.monotonic()
        agent.send_signal(signal.SIGKILL)
        agent.wait(10)
        offline = _wait_state(subscriber, "offline", seen, 1.5 * KEEPALIVE_S)
        offline_after_s = time.monotonic() - killed_at
        assert offline is not None, f"no offline within 1.5 x keepalive ({1.5 * KEEPALIVE_S} s)"
        seen = len(subscriber.of_kind("status"))
        agent = start_agent(args, log)
        assert _wait_state(subscriber, "online", seen, 30) is not None
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait(10)
        subscriber.close()
    assert online["outbox"] is not None and online["clock_synced"] is not None
    # A newcomer gets the retained status: what a dashboard sees on connect (kill -9 again: offline).
    late = Subscriber(broker.host, broker.port, topic=STATUS_TOPIC)
    try:
        retained = [(json.loads(text), flag) for _, text, flag in late.messages] or [
            (p, True) for p in late.wait_for("status", 1, timeout_s=5)
        ]
    finally:
        late.close()
    assert retained and retained[0][0]["state"] == "offline"
    print(f"availability: offline seen {offline_after_s:.2f} s after kill -9 (keepalive {KEEPALIVE_S} s)")
