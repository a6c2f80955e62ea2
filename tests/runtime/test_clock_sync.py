"""Must show 7: wrong clocks (no RTC before NTP, steps either way) never give bad bucket starts.

In-process pipelines with an injected `ManualClock`, a real rendered clip,
real SQLite files and a real private Mosquitto.
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.config import load_config
from agent.runtime.clock import ManualClock
from agent.runtime.pipeline import Pipeline
from tests.helpers.broker import MosquittoBroker
from tests.helpers.subscriber import Subscriber
from tests.publish.agent_process import EXAMPLE, render_short_clip

BUCKET_S = 5
WRONG = datetime(2001, 1, 1, 0, 0, 3, tzinfo=UTC)  # a Pi without RTC, before NTP
TRUE = datetime(2026, 11, 30, 9, 0, 2, 700_000, tzinfo=UTC)


class ScriptedClock(ManualClock):
    """Runs `on_synced_call[n]` at the n-th `is_synced` call (asked once per frame until synced)
    and `on_wall_call[n]` at the n-th `wall` call (read at least once per stored bucket)."""

    def __init__(
        self,
        wall: datetime,
        synced: bool,
        on_synced_call: dict[int, Any] | None = None,
        on_wall_call: dict[int, Any] | None = None,
    ) -> None:
        super().__init__(wall, synced=synced)
        self.synced_calls = self.wall_calls = 0
        self._on_synced = on_synced_call or {}
        self._on_wall = on_wall_call or {}

    def is_synced(self) -> bool:
        self.synced_calls += 1
        if (action := self._on_synced.get(self.synced_calls)) is not None:
            action(self)
        return super().is_synced()

    def wall(self) -> datetime:
        self.wall_calls += 1
        if (action := self._on_wall.get(self.wall_calls)) is not None:
            action(self)
        return super().wall()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Played once, not looped: every run sees the same 1,200 frames (120 s of media).
    return render_short_clip(tmp_path_factory.mktemp("clip") / "clip.avi", duration_s=120.0)


def _run(clip: Path, outbox: Path, broker: MosquittoBroker, clock: ManualClock) -> None:
    config = load_config(
        EXAMPLE,
        [
            f"source.path='{clip}'",
            "source.realtime=false",
            "source.loop=false",
            f"outbox.path='{outbox}'",
            f"mqtt.port={broker.port}",
            "mqtt.host='127.0.0.1'",
            f"aggregation.bucket_s={BUCKET_S}",
            "zones=[]",  # counts only: one report per bucket
        ],
    )
    Pipeline(config, clock=clock).run(threading.Event())


def _starts(reports: list[dict[str, Any]]) -> list[datetime]:
    return [datetime.strptime(r["bucket_start"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) for r in reports]


def _assert_consecutive(reports: list[dict[str, Any]]) -> None:
    starts = _starts(sorted(reports, key=lambda r: r["seq"]))
    steps = {(b - a).total_seconds() for a, b in itertools.pairwise(starts)}
    assert steps == {BUCKET_S}, f"bucket starts must be unique and consecutive, steps {steps}"
    assert all(r["observed_s"] >= 0 for r in reports)


@pytest.mark.slow
def test_run_that_syncs_midway_sends_every_report_with_true_unique_starts(
    tmp_path: Path, clip: Path, broker: MosquittoBroker
) -> None:
    sync_call = 400  # about 40 s of media time in
    clock = ScriptedClock(WRONG, False, {sync_call: lambda c: c.sync(TRUE)})
    subscriber = Subscriber(broker.host, broker.port)
    try:
        _run(clip, tmp_path / "o.db", broker, clock)
        counts = subscriber.wait_for("counts", 1, timeout_s=10)
    finally:
        subscriber.close()
    assert clock.synced_calls >= sync_call, "the sync happened during the run"
    assert counts, "nothing delivered"
    assert [r["seq"] for r in counts] == list(range(len(counts)))
    assert all(r["clock_synced"] for r in counts), "held until sync, then re-stamped: none goes out wrong"
    _assert_consecutive(counts)
    starts = _starts(counts)
    media_before_sync = timedelta(seconds=sync_call / 10.0)  # 10 frames per second of media
    assert TRUE - media_before_sync - timedelta(seconds=3 * BUCKET_S) <= starts[0] <= TRUE
    assert starts[-1] >= TRUE + media_before_sync, "the run went on well past the sync"


@pytest.mark.slow
def test_wall_clock_steps_during_a_synced_run_move_no_bucket(
    tmp_path: Path, clip: Path, broker: MosquittoBroker
) -> None:
    steps = {3: lambda c: c.step_wall(-3600), 6: lambda c: c.step_wall(7200), 9: lambda c: c.step_wall(-60)}
    clock = ScriptedClock(TRUE, True, on_wall_call=steps)
    subscriber = Subscriber(broker.host, broker.port)
    try:
        _run(clip, tmp_path / "o.db", broker, clock)
        counts = subscriber.wait_for("counts", 1, timeout_s=10)
    finally:
        subscriber.close()
    assert clock.wall_calls > 9, "every step happened during the run"
    assert len(counts) == 120 // BUCKET_S + 1, "120 s of media from 09:00:02.7: 25 buckets"
    _assert_consecutive(counts)
    assert _starts(counts)[0] == datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)


@pytest.mark.slow
def test_restart_with_the_clock_behind_never_reuses_a_key(
    tmp_path: Path, clip: Path, broker: MosquittoBroker
) -> None:
    outbox = tmp_path / "o.db"
    subscriber = Subscriber(broker.host, broker.port)
    try:
        _run(clip, outbox, broker, ManualClock(TRUE, synced=True))
        first = len(subscriber.wait_for("counts", 1, timeout_s=10))
        # Restarted "earlier" (clock stepped back), synced and unsynced: keys must stay unique.
        _run(clip, outbox, broker, ManualClock(TRUE - timedelta(seconds=30), synced=True))
        _run(clip, outbox, broker, ManualClock(WRONG, synced=False))
        counts = subscriber.wait_for("counts", first + 2, timeout_s=10)
    finally:
        subscriber.close()
    keys = [(r["device"], r["kind"], r["bucket_start"]) for r in counts]
    assert len(keys) == len(set(keys)), "a key was reused across restarts"
    assert [r["seq"] for r in counts] == list(range(len(counts)))
    synced = [r for r in counts if r["clock_synced"]]
    _assert_consecutive(synced[:first])
    later = _starts(synced[first:])
    assert min(later) > max(_starts(synced[:first])), "the second run started after the first's last bucket"
