"""The pipeline: capture -> counting stages -> zones -> buckets -> outbox -> MQTT.

Threads, all sharing one stop event: for camera, file and sim sources a
capture thread reads the source into a one-frame slot (`FrameSlot`: a slow
stage drops frames, counted, and never blocks the camera; a file read as
fast as possible drops none); the processing thread counts, aggregates and
stores (`Processing`); the publisher's thread drains the outbox. Serial
sensors need no capture thread: the processing thread reads the port. The
`Supervisor` restarts a stage that raises, within a budget, and past it
stops the run with `RunSummary.failure` set, for a non-zero exit.

At stop (end of the source, `--duration`, Ctrl-C, SIGTERM or a spent
restart budget) the last, partial bucket is flushed to the outbox and the
publisher, which has its own stop event so that it outlives the shared
one, gets a bounded time to deliver it before it says `offline`.
Everything about storing reports (disk refusals, clock sync, re-stamping)
lives in `ReportSink`.
"""

from __future__ import annotations

import logging
import threading
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
from agent.publish.mqtt_client import status_topic
from agent.publish.outbox import Outbox, OutboxError
from agent.publish.payloads import CameraLinkHealth, FrameHealth, SerialLinkHealth, StatusReport
from agent.publish.sink import ReportSink
from agent.runtime.capture import FrameCapture
from agent.runtime.clock import Clock, SystemClock
from agent.runtime.counting import CameraCounting, Counting, build_counting
from agent.runtime.frame_slot import FrameSlot
from agent.runtime.health import FrameStats, cpu_temperature_c
from agent.runtime.processing import Processing, StepSource, frame_steps
from agent.runtime.supervisor import Supervisor
from agent.runtime.systemd_notify import SystemdNotifier
from agent.sources import CameraHealth, is_live
from agent.sources.serial_config import CounterSerialSourceConfig, ToFSerialSourceConfig
from agent.sources.serial_port import SerialHealth
from agent.stop_wait import wait_for_stop

log = logging.getLogger(__name__)

# How long a stopping agent waits for the broker to acknowledge what is left.
_DRAIN_TIMEOUT_S = 10.0
# How long a stopping agent waits for its capture and processing threads to end.
_STAGE_JOIN_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class RunSummary:
    """What one run did, for the console and for tests."""

    frames: int
    people_in: int
    people_out: int
    reports_stored: int
    reports_pending: int
    failure: str | None = None
    """Why the run gave up (a stage failed beyond its restart budget); None for a normal stop."""


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
        self._camera_health: CameraHealth | None = None
        self._slot: FrameSlot | None = None
        self._frame_stats: FrameStats | None = None
        self._supervisor: Supervisor | None = None

    @property
    def status_topic(self) -> str:
        """`{prefix}/{site}/{device}/status`."""
        return status_topic(self._config.mqtt, self._config.device)

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
            frames=self._frame_status(),
            camera=self._camera_status(),
            stage_restarts=self._supervisor.restarts if self._supervisor is not None else None,
            cpu_temperature_c=cpu_temperature_c(),
        ).to_json()

    def _frame_status(self) -> FrameHealth | None:
        slot, stats = self._slot, self._frame_stats
        if slot is None or stats is None:
            return None
        return FrameHealth(
            frames_in=slot.frames_in,
            frames_processed=stats.processed,
            frames_dropped=slot.frames_dropped,
            detector_ms=_rounded(stats.detector_ms.value),
            processing_ms=_rounded(stats.processing_ms.value),
        )

    def _camera_status(self) -> CameraLinkHealth | None:
        camera = self._camera_health
        if camera is None:
            return None
        return CameraLinkHealth(
            connected=camera.connected, reopens=camera.reopens, last_error=camera.last_error or None
        )

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
        """Process input until the source ends, `duration_s` passes, `stop` is set or a stage gives up.

        Raises:
            SourceError: the source cannot be opened.
        """
        config = self._config
        notifier = SystemdNotifier()
        counting = build_counting(config, stop)
        self._serial_health = getattr(counting, "health", None)
        aggregator = self._aggregator()
        sink, publisher, publisher_stop = self._delivery()
        supervisor = self._supervisor = Supervisor(config.supervisor, stop)
        capture, steps = self._stages(counting, stop)
        processing = Processing(
            steps,
            aggregator,
            sink,
            ZoneWatcher(config.zones) if config.zones else None,
            notifier,
            stop,
            counting.finish,
        )
        sink.start()
        publisher.start()
        notifier.ready(f"counting on {len(config.lines)} line(s), {len(config.zones)} zone(s)")
        try:
            if capture is not None:
                supervisor.start(capture)
            supervisor.start(processing, last=True)
            wait_for_stop(stop, duration_s)  # in short steps: see agent.stop_wait
        finally:
            stop.set()
            notifier.stopping()
            if self._stop_stages(counting, supervisor):
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
        return RunSummary(
            processing.frames,
            processing.people_in,
            processing.people_out,
            sink.stored,
            pending,
            supervisor.failure,
        )

    def _stages(self, counting: Counting, stop: threading.Event) -> tuple[FrameCapture | None, StepSource]:
        """The capture stage (frame sources only) and what the processing stage iterates.

        Frame sources: a capture thread fills a `FrameSlot` that processing takes from.
        Serial sensors: processing reads the port itself, through the sensor's own steps.
        """
        if not isinstance(counting, CameraCounting):
            return None, counting.steps
        source_config = self._config.source
        assert not isinstance(source_config, ToFSerialSourceConfig | CounterSerialSourceConfig)
        slot = self._slot = FrameSlot(stop, lossless=not is_live(source_config))
        stats = self._frame_stats = FrameStats()
        self._camera_health = getattr(counting.source, "health", None)
        return FrameCapture(counting.source, slot, stop), lambda: frame_steps(slot, counting, stats, stop)

    @staticmethod
    def _stop_stages(counting: Counting, supervisor: Supervisor) -> bool:
        """End the stage threads (the stop event is set) and release the source.

        Returns whether processing has stopped, so its open bucket can be flushed safely.
        """
        if isinstance(counting, CameraCounting):
            counting.source.close()  # wakes a capture thread waiting on a camera's back-off
        stuck = supervisor.join(_STAGE_JOIN_TIMEOUT_S)
        if stuck:
            log.error(
                "stage thread(s) %s did not stop within %g s; the open bucket is not flushed",
                ", ".join(stuck),
                _STAGE_JOIN_TIMEOUT_S,
            )
        counting.close()
        return Processing.name not in stuck

    def _aggregator(self) -> BucketAggregator:
        config = self._config
        grid = heatmap_grid(config)
        contents = BucketContents(
            line_names=[line.name for line in config.lines],
            zone_names=[zone.name for zone in config.zones],
            grid=grid,
            min_people_k=config.privacy.min_people_k,
            presence_zone=getattr(config.source, "presence_zone", None),
        )
        last_start, last_synced_start = self.outbox.bucket_floors()
        return BucketAggregator(
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

    def _delivery(self) -> tuple[ReportSink, MqttPublisher, threading.Event]:
        """The report sink and the publisher, with the publisher's own stop event."""
        config = self._config
        layout = build_layout(config, heatmap_grid(config))
        # The publisher outlives the shared stop until the last bucket is flushed and drained.
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
        return sink, publisher, publisher_stop


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


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
