"""The processing stage: count steps -> zones -> time buckets -> the report sink.

It runs on its own thread under the supervisor and is the one loop that
pings the systemd watchdog, so a hung stage (or a hung process) gets the
service restarted. While no frame comes (a camera being reopened) it still
pings: waiting for a camera is not hanging, and the camera's own reopen
back-off is what deals with it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from agent.analytics.aggregator import BucketAggregator
from agent.analytics.zones import ZoneWatcher
from agent.publish.sink import ReportSink
from agent.runtime.counting import CameraCounting, CountStep
from agent.runtime.frame_slot import FrameSlot
from agent.runtime.health import FrameStats
from agent.runtime.systemd_notify import SystemdNotifier

# How long the processing thread waits for a frame before it pings the watchdog anyway (s).
_IDLE_WAIT_S = 0.5

StepSource = Callable[[], Iterator[CountStep | None]]
"""Makes a fresh iterator of steps (None = nothing new, only alive); called again at each restart."""


def frame_steps(
    slot: FrameSlot, counting: CameraCounting, stats: FrameStats, stop: threading.Event
) -> Iterator[CountStep | None]:
    """Steps of the frames the capture thread leaves in `slot`, timed into `stats`; ends with the stream."""
    while not stop.is_set():
        frame = slot.take(_IDLE_WAIT_S)
        if frame is None:
            if slot.ended:
                return
            yield None
            continue
        started_s = time.perf_counter()
        step = counting.step(frame)
        stats.record((time.perf_counter() - started_s) * 1e3, counting.detect_ms)
        yield step


class Processing:
    """Aggregates every step into buckets and stores finished reports; pings the watchdog.

    `frames`, `people_in` and `people_out` count what it saw, for the run summary.
    """

    name = "processing"

    def __init__(
        self,
        steps: StepSource,
        aggregator: BucketAggregator,
        sink: ReportSink,
        watcher: ZoneWatcher | None,
        notifier: SystemdNotifier,
        stop: threading.Event,
        finish: Callable[[], CountStep | None] | None = None,
    ) -> None:
        self._steps = steps
        self._finish = finish
        self._aggregator = aggregator
        self._sink = sink
        self._watcher = watcher
        self._notifier = notifier
        self._stop = stop
        self._last_t_s: float | None = None
        self.frames = self.people_in = self.people_out = 0

    def run(self) -> None:
        """Process steps until the input ends or `stop` is set, then `finish`'s step (the tracks
        still alive end: `late` lines count them)."""
        for step in self._steps():
            if self._stop.is_set():
                break
            if step is not None:
                self._add(step)
                self.frames += 1
            self._notifier.watchdog(f"{self.frames} steps, in={self.people_in} out={self.people_out}")
        final = None if self._finish is None else self._finish()
        if final is not None:
            self._add(final)

    def _add(self, step: CountStep) -> None:
        watcher = self._watcher
        zones = watcher.update(step.tracks) if watcher is not None and step.tracks is not None else None
        self.people_in += sum(c.direction == "in" for c in step.crossings)
        self.people_out += sum(c.direction == "out" for c in step.crossings)
        self._sink.poll_clock(step.t_s, self._aggregator.resync)
        present_s = step.t_s - self._last_t_s if step.present and self._last_t_s is not None else 0.0
        self._last_t_s = step.t_s
        reports = self._aggregator.add(step.t_s, step.crossings, step.tracks, zones, max(0.0, present_s))
        self._sink.store(reports)
