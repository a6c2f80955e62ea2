"""The pipeline: source -> detector -> floor -> tracker -> lines -> buckets -> outbox -> MQTT.

Frames are processed on the calling thread; the publisher has its own
thread and never blocks it. One stop event ends both. At stop (end of the
source, `--duration`, Ctrl-C or SIGTERM) the last, partial bucket is
flushed to the outbox and the publisher gets a bounded time to deliver it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from agent import __version__
from agent.analytics.aggregator import CountsAggregator
from agent.analytics.lines import LineCounter
from agent.config import AgentConfig
from agent.detect import build_detector
from agent.geometry.projector import build_projector
from agent.geometry.shapes import FloorLine
from agent.publish.mqtt import MqttPublisher
from agent.publish.outbox import Outbox, OutboxError
from agent.publish.payloads import BucketReport, OutboxHealth, StatusReport
from agent.runtime.clock import Clock, SystemClock
from agent.sources import build_source
from agent.track import build_tracker
from agent.types import LineCrossing

log = logging.getLogger(__name__)

# How long a stopping agent waits for the broker to acknowledge what is left.
_DRAIN_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RunSummary:
    """What one run did, for the console and for tests."""

    frames: int
    people_in: int
    people_out: int
    reports_stored: int
    reports_pending: int


class Pipeline:
    """Builds every stage from the config and runs them until stopped."""

    def __init__(self, config: AgentConfig, *, clock: Clock | None = None) -> None:
        self._config = config
        self._clock = clock or SystemClock()
        self._started_mono_s = self._clock.monotonic_s()
        self.outbox = Outbox(
            config.outbox.path, topic_prefix=config.mqtt.topic_prefix, synchronous=config.outbox.synchronous
        )
        self._unsaved: list[BucketReport] = []

    @property
    def status_topic(self) -> str:
        """`{prefix}/{site}/{device}/status`."""
        device = self._config.device
        return f"{self._config.mqtt.topic_prefix}/{device.site}/{device.id}/status"

    def status_payload(self, state: str) -> str:
        """The retained status text for `state` ("online" or "offline")."""
        device = self._config.device
        if state == "offline":
            return StatusReport(site=device.site, device=device.id, state="offline").to_json()
        return StatusReport(
            site=device.site,
            device=device.id,
            state="online",
            sent_at=self._clock.wall().replace(microsecond=0),
            clock_synced=self._clock.is_synced(),
            agent_version=__version__,
            uptime_s=round(self._clock.monotonic_s() - self._started_mono_s, 3),
            outbox=OutboxHealth(pending=self.outbox.depth(), evicted=self.outbox.evicted()),
        ).to_json()

    def run(self, stop: threading.Event, duration_s: float | None = None) -> RunSummary:
        """Process frames until the source ends, `duration_s` passes or `stop` is set.

        Raises:
            SourceError: the source cannot be opened.
        """
        config = self._config
        source = build_source(config.source)
        detector = build_detector(config.detector)
        projector = build_projector(config.calibration)
        tracker = build_tracker(config.tracker)
        counters = [
            LineCounter(FloorLine(line.name, line.start, line.end, line.in_side), line.hysteresis_m)
            for line in config.lines
        ]
        aggregator = CountsAggregator(
            site=config.device.site,
            device=config.device.id,
            bucket_s=config.aggregation.bucket_s,
            line_names=[line.name for line in config.lines],
            wall_now=self._clock.wall,
            clock_synced=self._clock.is_synced,
        )
        publisher = MqttPublisher(
            config.mqtt,
            self.outbox,
            client_id=f"footfall-{config.device.site}-{config.device.id}",
            status_topic=self.status_topic,
            status_payload=self.status_payload,
            stop=stop,
            inflight_max=config.outbox.inflight_max,
        )
        publisher.start()
        frames = people_in = people_out = stored = 0
        deadline = None if duration_s is None else time.monotonic() + duration_s
        try:
            for frame in source.frames():
                if stop.is_set() or (deadline is not None and time.monotonic() >= deadline):
                    break
                points = projector.project(detector.detect(frame))
                tracks = tracker.update(points)
                crossings: list[LineCrossing] = []
                for counter in counters:
                    crossings.extend(counter.update(tracks))
                people_in += sum(c.direction == "in" for c in crossings)
                people_out += sum(c.direction == "out" for c in crossings)
                stored += self._store(aggregator.add(frame.meta.t_s, crossings), publisher)
                frames += 1
        finally:
            source.close()
            stored += self._store(aggregator.flush(), publisher)
            if not publisher.drain(_DRAIN_TIMEOUT_S):
                log.warning(
                    "stopping with %d report(s) not yet acknowledged; they stay in %s and are sent "
                    "at the next start",
                    self.outbox.depth(),
                    self.outbox.path,
                )
            stop.set()
            publisher.join(5.0)
        pending = self.outbox.depth()
        self.outbox.close()
        return RunSummary(frames, people_in, people_out, stored, pending)

    def _store(self, reports: Sequence[BucketReport], publisher: MqttPublisher) -> int:
        """Write reports to the outbox; keep them in RAM to retry if the disk refuses."""
        batch = [*self._unsaved, *reports]
        if not batch:
            return 0
        try:
            seqs = self.outbox.add(batch)
        except OutboxError as exc:
            log.error("%s; %d report(s) kept in memory, retrying at the next bucket", exc, len(batch))
            self._unsaved = batch
            return 0
        self._unsaved = []
        for report, seq in zip(batch, seqs, strict=True):
            log.info(
                "stored %s report seq=%d for bucket %s",
                report.kind,
                seq,
                report.bucket_start.isoformat(),
            )
        publisher.notify()
        return len(batch)
