"""The pipeline: counting stages -> zones -> buckets -> outbox -> MQTT.

The counting stages (`build_counting`: camera, ToF or counter) run on the
calling thread, one step per frame or message; the publisher has its own
thread and never blocks it. At stop (end of the source, `--duration`,
Ctrl-C or SIGTERM) the last, partial bucket is flushed to the outbox and
the publisher, which has its own stop event so that it outlives the
caller's, gets a bounded time to deliver it before it says `offline`.
Everything about storing reports (disk refusals, clock sync, re-stamping)
lives in `ReportSink`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass

from agent import __version__
from agent.analytics.aggregator import BucketAggregator
from agent.analytics.bucket_contents import BucketContents
from agent.analytics.zones import ZoneWatcher
from agent.config import AgentConfig
from agent.geometry.grid import FloorGrid
from agent.publish.layout_builder import build_layout
from agent.publish.mqtt import MqttPublisher
from agent.publish.outbox import Outbox, OutboxError
from agent.publish.payloads import SerialLinkHealth, StatusReport
from agent.publish.sink import ReportSink
from agent.runtime.clock import Clock, SystemClock
from agent.runtime.counting import build_counting
from agent.runtime.systemd_notify import SystemdNotifier
from agent.sources.serial_port import SerialHealth

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
        self.run_id = uuid.uuid4().hex[:12]
        self.outbox = Outbox(
            config.outbox.path,
            topic_prefix=config.mqtt.topic_prefix,
            synchronous=config.outbox.synchronous,
            max_bytes=config.outbox.max_bytes,
            max_age_s=config.outbox.max_age_s,
            run_id=self.run_id,
            wall=self._clock.wall,
        )
        self._sink: ReportSink | None = None
        self._serial_health: SerialHealth | None = None

    @property
    def status_topic(self) -> str:
        """`{prefix}/{site}/{device}/status`."""
        device = self._config.device
        return f"{self._config.mqtt.topic_prefix}/{device.site}/{device.id}/status"

    def status_payload(self, state: str) -> str:
        """The retained status text for `state`: "online", "offline" (clean stop) or "will".

        "will" is the broker's last will: a bare `offline`, since it is written at connect
        time and published later. "online" and a clean stop's "offline" carry health.
        """
        device = self._config.device
        if state == "will" or self._sink is None:
            return StatusReport(site=device.site, device=device.id, state="offline").to_json()
        try:
            health = self._sink.health()
        except OutboxError as exc:
            log.error("%s; status sent without outbox health", exc)
            health = None
        return StatusReport(
            site=device.site,
            device=device.id,
            state="offline" if state == "offline" else "online",
            sent_at=self._clock.wall().replace(microsecond=0),
            clock_synced=self._clock.is_synced(),
            agent_version=__version__,
            uptime_s=round(self._clock.monotonic_s() - self._started_mono_s, 3),
            outbox=health,
            serial=self._serial_status(),
        ).to_json()

    def _serial_status(self) -> SerialLinkHealth | None:
        link = self._serial_health
        if link is None:
            return None
        return SerialLinkHealth(
            connected=link.connected,
            good_lines=link.good_lines,
            bad_lines=link.bad_lines,
            reopens=link.reopens,
            diagnosis=link.diagnosis or None,
        )

    def run(self, stop: threading.Event, duration_s: float | None = None) -> RunSummary:
        """Process frames until the source ends, `duration_s` passes or `stop` is set.

        Raises:
            SourceError: the source cannot be opened.
        """
        config = self._config
        notifier = SystemdNotifier()
        counting = build_counting(config, stop)
        self._serial_health = getattr(counting, "health", None)
        watcher = ZoneWatcher(config.zones) if config.zones else None
        grid = heatmap_grid(config)
        contents = BucketContents(
            line_names=[line.name for line in config.lines],
            zone_names=[zone.name for zone in config.zones],
            grid=grid,
            min_people_k=config.privacy.min_people_k,
            presence_zone=getattr(config.source, "presence_zone", None),
        )
        layout = build_layout(config, grid)
        last_start, last_synced_start = self.outbox.bucket_floors()
        aggregator = BucketAggregator(
            site=config.device.site,
            device=config.device.id,
            bucket_s=config.aggregation.bucket_s,
            line_names=[line.name for line in config.lines],
            wall_now=self._clock.wall,
            clock_synced=self._clock.is_synced,
            last_start_epoch_s=last_start,
            last_synced_start_epoch_s=last_synced_start,
            contents=contents,
        )
        # The publisher outlives `stop` until the last bucket is flushed and drained.
        publisher_stop = threading.Event()
        publisher = MqttPublisher(
            config.mqtt,
            self.outbox,
            client_id=f"footfall-{config.device.site}-{config.device.id}",
            status_topic=self.status_topic,
            status_payload=self.status_payload,
            stop=publisher_stop,
            inflight_max=config.outbox.inflight_max,
            retained=[(self.status_topic.removesuffix("/status") + "/layout", layout.to_json())],
        )
        sink = self._sink = ReportSink(
            self.outbox,
            publisher,
            self._clock,
            run_id=self.run_id,
            hold_unsynced_s=config.outbox.hold_unsynced_s,
        )
        sink.start()
        publisher.start()
        notifier.ready(f"counting on {len(config.lines)} line(s), {len(config.zones)} zone(s)")
        frames = people_in = people_out = 0
        last_t_s: float | None = None
        deadline = None if duration_s is None else time.monotonic() + duration_s
        try:
            for step in counting.steps():
                if stop.is_set() or (deadline is not None and time.monotonic() >= deadline):
                    break
                zones = (
                    watcher.update(step.tracks) if watcher is not None and step.tracks is not None else None
                )
                people_in += sum(c.direction == "in" for c in step.crossings)
                people_out += sum(c.direction == "out" for c in step.crossings)
                sink.poll_clock(step.t_s, aggregator.resync)
                present_s = step.t_s - last_t_s if step.present and last_t_s is not None else 0.0
                last_t_s = step.t_s
                sink.store(aggregator.add(step.t_s, step.crossings, step.tracks, zones, max(0.0, present_s)))
                frames += 1
                notifier.watchdog(f"{frames} steps, in={people_in} out={people_out}")
        finally:
            notifier.stopping()
            counting.close()
            sink.store(aggregator.flush())
            sink.finish()
            if not publisher.drain(_DRAIN_TIMEOUT_S):
                log.warning(
                    "stopping with %d report(s) not yet acknowledged; they stay in %s and are sent "
                    "at the next start",
                    self.outbox.depth(),
                    self.outbox.path,
                )
            publisher_stop.set()
            publisher.join(5.0)
        pending = self.outbox.depth()
        self.outbox.close()
        return RunSummary(frames, people_in, people_out, sink.stored, pending)


def heatmap_grid(config: AgentConfig) -> FloorGrid | None:
    """The heatmap grid: configured, or covering the lines and zones with a 1 m margin; None if off."""
    heatmap = config.heatmap
    if not heatmap.enabled:
        return None
    if heatmap.origin_m is not None and heatmap.size_m is not None:
        return FloorGrid.covering(
            heatmap.origin_m,
            (heatmap.origin_m[0] + heatmap.size_m[0], heatmap.origin_m[1] + heatmap.size_m[1]),
            heatmap.cell_m,
        )
    return FloorGrid.covering(*config.floor_extent_m(), heatmap.cell_m)
