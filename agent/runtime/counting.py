"""From a source to line crossings: one `Counting` per kind of sensor.

Each `Counting` turns its source's input (camera frames, depth frames,
counter events) into `CountStep`s, what one input produced: its time and the
crossings it completed. The pipeline aggregates steps into buckets without
knowing which sensor made them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from agent.analytics.config import LineConfig
from agent.analytics.lines import build_line_counter
from agent.config import AgentConfig
from agent.detect import GatedDetector, build_detector, build_motion_gate
from agent.detect.config import DetectorConfig
from agent.detect.person_height import PersonHeights, place_at_heights
from agent.detect.tof import ToFPeopleDetector
from agent.geometry.camera import CameraModel
from agent.geometry.config import CalibrationConfig, FileCalibrationConfig
from agent.geometry.projector import CameraProjector, FloorProjector, build_projector
from agent.sources import FrameSource, build_source
from agent.sources.config import FrameSourceConfig
from agent.sources.serial_config import CounterSerialSourceConfig, ToFSerialSourceConfig
from agent.sources.serial_port import SerialHealth, SerialMessageSource
from agent.sources.serial_protocol import CounterEvent, DepthFrame, PresenceEvent
from agent.track import BodyLines, ViewTest, build_tracker
from agent.track.appearance import AppearanceSampler
from agent.track.config import KalmanTrackerConfig, TrackerConfig
from agent.track.kalman import KalmanTracker
from agent.types import Detections, FloorPoints, Frame, LineCrossing, Tracks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CountStep:
    """What one input produced: its time (seconds on the source's clock) and its crossings.

    `tracks` are the confirmed tracks (camera and ToF), for zones and the
    heatmap; `present` is a presence sensor's state from the previous step to
    this one (None for sensors without one). Where the calibration reads
    people's heights (`height_model`), `tracks` stand where each person
    stands, for zones and the heatmap, and `seen_tracks` are the same
    tracks as the tracker follows them, each head top taken to the floor at
    the calibration's point height, as the lines count them (and tracking
    scores place the truth); otherwise None.
    """

    t_s: float
    crossings: tuple[LineCrossing, ...]
    tracks: Tracks | None = None
    present: bool | None = None
    seen_tracks: Tracks | None = None


class Counting(Protocol):
    """A source and the stages that turn it into crossings."""

    def steps(self) -> Iterator[CountStep]:
        """Steps in time order until the source ends or the stop event is set."""
        ...

    def close(self) -> None:
        """Release the source."""
        ...

    def finish(self) -> CountStep | None:
        """Once the steps have ended (the source ended or stop was set): what ending every track
        counts (`late` lines), or None."""
        ...


class FloorCounting:
    """Tracker and line counters shared by every sensor that yields floor points (and the calibration page).

    `projector`, the calibration the floor points come through (None: not a camera's): a camera's
    tells the tracker the floor it sees (`floor_in_view`) and where people's bodies lie in its
    picture (`floor_body_lines`).
    """

    def __init__(
        self,
        tracker: TrackerConfig,
        lines: Sequence[LineConfig],
        projector: FloorProjector | None = None,
        heights: PersonHeights | None = None,
    ) -> None:
        self._tracker = build_tracker(tracker, floor_in_view(projector), floor_body_lines(projector))
        self._heights = heights  # each person's height from the picture, to place them (camera frames)
        self._placing: CameraProjector | None = None  # the projector the heights were read through
        self._counters = [build_line_counter(line) for line in lines]
        self._shown_m = np.zeros((0, 2))  # where the tracks of the last step were reported (m)
        self._last_t_s: float | None = None
        self._uses_appearance = isinstance(tracker, KalmanTrackerConfig) and tracker.appearance_weight_m > 0
        self._sampler: AppearanceSampler | None = None
        self._sampler_camera: CameraModel | None = None
        self._told_no_camera = False

    @property
    def tracking(self) -> bool:
        """Whether the tracker holds anyone, tentative tracks included (the motion gate's idle test)."""
        return len(self._tracker) > 0

    @property
    def confirming(self) -> bool:
        """Whether a track awaits confirmation (the motion gate then lets every frame through)."""
        return self._tracker.tentative > 0

    def watching(self, line_watch_m: float) -> bool:
        """Whether the next frame should be detected whatever moved: a track awaits confirmation, or
        someone was reported within `line_watch_m` metres of a counting line at the last step (0: lines
        are not watched)."""
        if self.confirming:
            return True
        if line_watch_m <= 0 or not len(self._shown_m):
            return False
        return any(bool((c.line.distance_m(self._shown_m) <= line_watch_m).any()) for c in self._counters)

    def count(self, points: FloorPoints, *, detected: bool = True) -> CountStep:
        """Track `points` and count the crossings; `detected=False`: nothing was detected, tracks coast."""
        self._last_t_s = points.t_s
        seen = self._tracker.update(points, detected=detected)
        # Lines count on the tracker's positions: a track is placed at its person's height once that
        # is read three times, a sudden move that across a line would count a passage no one made.
        self._shown_m = seen.positions_m
        crossings: list[LineCrossing] = []
        for counter in self._counters:
            crossings.extend(counter.update(seen))
        tracks = self._placed(seen)
        return CountStep(points.t_s, tuple(crossings), tracks, seen_tracks=None if tracks is seen else seen)

    def finish(self) -> CountStep | None:
        """End every track, at the last step's time: `late` lines count those still in view.

        For when the source ends or the agent stops; None before the first
        step. The step carries no tracks (zones and the heatmap are not
        updated); `immediate` lines have counted their crossings already.
        """
        if self._last_t_s is None:
            return None
        ended = self._tracker.end_all(self._last_t_s)
        crossings = [crossing for counter in self._counters for crossing in counter.update(ended)]
        return CountStep(self._last_t_s, tuple(crossings))

    def count_detections(
        self,
        t_s: float,
        detections: Detections | None,
        projector: FloorProjector,
        image: np.ndarray | None = None,
    ) -> CountStep:
        """A camera frame's detections on the floor; None (the motion gate skipped the frame): tracks coast.

        `image`, the frame they were found in, gives the tracker each person's
        appearance when its config weighs it (`appearance_weight_m`) and the
        projector is a camera's.
        """
        if detections is None:  # nothing moved: tracks coast on their prediction and do not age
            return self.count(FloorPoints(t_s, np.zeros((0, 2)), np.zeros(0)), detected=False)
        if image is not None:
            detections = self._with_appearance(detections, image, projector)
        points = projector.project(detections)
        heights, tracker = self._heights, self._tracker
        if heights is None or image is None or not isinstance(projector, CameraProjector):
            return self.count(points)
        self._placing = projector
        step = self.count(points)
        # Heights only for the tracks that still want readings (a track's first few).
        if heights.due() and isinstance(tracker, KalmanTracker):
            wanted = tracker.detections_wanting_heights()
            if len(wanted):
                read_m = heights.heights_m(
                    image, projector.camera, points.points_m[wanted], projector.point_height_m
                )
                tracker.add_heights(wanted, read_m)
        return step

    def _placed(self, tracks: Tracks) -> Tracks:
        """`tracks` with each person moved to where they stand at the height read for them (the
        camera's projector; `agent.detect.person_height`); as they are without heights."""
        if self._placing is None or tracks.heights_m is None or not len(tracks):
            return tracks
        positions_m = place_at_heights(
            self._placing.camera, self._placing.point_height_m, tracks.positions_m, tracks.heights_m
        )
        return replace(tracks, positions_m=positions_m)

    def _with_appearance(
        self, detections: Detections, image: np.ndarray, projector: FloorProjector
    ) -> Detections:
        """`detections` with their descriptors from `image`, when the tracker uses them.

        When the light changed since the last frame described, the tracker
        forgets what everyone looked like and learns it anew from this frame.
        A scale calibration says nothing of how big a person looks, so it gets
        no descriptors (logged once: the setting has no effect there).
        """
        if not self._uses_appearance or not len(detections):
            return detections
        if not isinstance(projector, CameraProjector):
            if not self._told_no_camera:
                log.warning(
                    "tracker.appearance_weight_m is set, but appearance needs a camera calibration "
                    '(calibration.type = "file"); with a scale calibration it is not used'
                )
                self._told_no_camera = True
            return detections
        if self._sampler is None or self._sampler_camera is not projector.camera:
            self._sampler = AppearanceSampler(projector.camera)
            self._sampler_camera = projector.camera
        if self._sampler.light_changed(image):
            self._tracker.forget_appearance()
        return replace(detections, appearance=self._sampler.describe(image, detections.points_px))


def floor_in_view(projector: FloorProjector | None) -> ViewTest | None:
    """The floor a calibrated camera sees, for the tracker; None for a scale calibration (no image size)."""
    return projector.sees if isinstance(projector, CameraProjector) else None


def floor_body_lines(projector: FloorProjector | None) -> BodyLines | None:
    """Where people's bodies lie on the floor map as a calibrated camera sees them, for the tracker;
    None for a scale calibration (no camera position)."""
    if not isinstance(projector, CameraProjector):
        return None
    return BodyLines(projector.camera.position_m, projector.point_height_m)


def build_person_heights(calibration: CalibrationConfig) -> PersonHeights | None:
    """The height reader a camera calibration names (`height_model`), or None.

    Raises:
        FileNotFoundError: the model file is missing (named).
    """
    if not isinstance(calibration, FileCalibrationConfig) or calibration.height_model is None:
        return None
    return PersonHeights(calibration.height_model, calibration.height_every)


class CameraCounting:
    """Frames -> detector -> calibration -> tracker -> line counters.

    Raises:
        SourceError: the source cannot be opened.
        CalibrationError: the calibration file is missing or malformed, or (from `steps`)
            the frames' aspect ratio differs from the calibrated image's.
    """

    def __init__(
        self,
        source: FrameSourceConfig,
        detector: DetectorConfig,
        calibration: CalibrationConfig,
        tracker: TrackerConfig,
        lines: list[LineConfig],
    ) -> None:
        self._projector = build_projector(calibration)
        self._detector_config = detector
        self._detector = GatedDetector(
            build_detector(detector, self._projector),
            build_motion_gate(detector),
        )
        self._floor = FloorCounting(tracker, lines, self._projector, build_person_heights(calibration))
        self._source = build_source(source)
        self.detect_ms: float | None = None

    @property
    def source(self) -> FrameSource:
        """The frame source, for a capture thread that feeds `step` (the pipeline's)."""
        return self._source

    def steps(self) -> Iterator[CountStep]:
        """One step per frame, read on the calling thread (evaluation)."""
        for frame in self._source.frames():
            yield self.step(frame)

    def step(self, frame: Frame) -> CountStep:
        """Detect, project, track and count one frame; `detect_ms` is then its detector time (ms).

        `detect_ms` is None when the motion gate skipped detection.
        """
        self._fit_calibration(frame.meta.width_px, frame.meta.height_px)
        started_s = time.perf_counter()
        floor = self._floor
        watching = floor.watching(self._detector.line_watch_m)
        detections = self._detector.detect(frame, tracking=floor.tracking, watching=watching)
        self.detect_ms = None if detections is None else (time.perf_counter() - started_s) * 1e3
        return self._floor.count_detections(frame.meta.t_s, detections, self._projector, frame.image)

    def _fit_calibration(self, width_px: int, height_px: int) -> None:
        """Scale the calibration to the frames' size when it differs (once); the detector follows it."""
        if not isinstance(self._projector, CameraProjector):
            return
        fitted = self._projector.for_image(width_px, height_px)
        if fitted is not self._projector:
            self._projector = fitted
            self._detector = GatedDetector(
                build_detector(self._detector_config, fitted),
                build_motion_gate(self._detector_config),
            )

    def close(self) -> None:
        """Release the camera or file."""
        self._source.close()

    def finish(self) -> CountStep | None:
        """See `FloorCounting.finish`."""
        return self._floor.finish()


class SensorClock:
    """Times frames by their 16-bit sequence number at a fixed rate, unaffected by USB buffering.

    Serial links deliver frames in bursts; timing them by arrival would give
    the tracker wrong speeds. A frame `n` sequence steps after the previous
    one is `n / frame_rate_hz` later. A jump of more than `max_gap_s` (or
    backwards: the device restarted) counts as one frame period.
    """

    def __init__(self, frame_rate_hz: float, max_gap_s: float = 5.0) -> None:
        if not frame_rate_hz > 0:
            raise ValueError(f"frame_rate_hz is {frame_rate_hz}, should be > 0")
        self._period_s = 1.0 / frame_rate_hz
        self._max_gap_frames = max(1, round(max_gap_s * frame_rate_hz))
        self._last_seq: int | None = None
        self.t_s = 0.0
        self.lost_frames = 0

    def tick(self, seq: int) -> float:
        """Sensor time (s) of the frame with sequence number `seq`."""
        if self._last_seq is not None:
            steps = (seq - self._last_seq) % 65_536
            if not 0 < steps <= self._max_gap_frames:
                steps = 1
            self.lost_frames += steps - 1
            self.t_s += steps * self._period_s
        self._last_seq = seq
        return self.t_s


class _SerialCounting:
    """The serial port, its health and the host clock shared by the serial sensors.

    Raises:
        SourceError: the serial port cannot be opened (names the port).
    """

    def __init__(self, port: str, baudrate: int, stop: threading.Event) -> None:
        self._serial = SerialMessageSource(port, baudrate, stop)
        self._started_s = time.monotonic()

    @property
    def health(self) -> SerialHealth:
        """Link counters (good and bad lines, reopens)."""
        return self._serial.health

    def _elapsed_s(self) -> float:
        return time.monotonic() - self._started_s

    def close(self) -> None:
        """Close the port."""
        self._serial.close()

    def finish(self) -> CountStep | None:
        """Nothing is tracked: nothing to count at the end."""
        return None


class ToFCounting(_SerialCounting):
    """Depth frames from a serial ToF sensor -> people -> tracker -> line counters.

    Tracking runs on sensor time (`SensorClock`); crossings are stamped with
    the host's time of arrival, which is what buckets are made of.

    Raises:
        SourceError: the serial port cannot be opened (names the port).
    """

    def __init__(
        self,
        config: ToFSerialSourceConfig,
        tracker: TrackerConfig,
        lines: list[LineConfig],
        stop: threading.Event,
    ) -> None:
        self._detector = ToFPeopleDetector(
            fov_deg=config.fov_deg, min_height_m=config.min_height_m, learn_frames=config.learn_frames
        )
        self._floor = FloorCounting(tracker, lines)
        self._sensor_clock = SensorClock(config.frame_rate_hz)
        super().__init__(config.port, config.baudrate, stop)

    def steps(self) -> Iterator[CountStep]:
        """One step per depth frame, and an empty one whenever the line is quiet."""
        for message in self._serial.messages():
            t_s = self._elapsed_s()
            if not isinstance(message, DepthFrame):
                yield CountStep(t_s, ())
                continue
            sensor_t_s = self._sensor_clock.tick(message.seq)
            counted = self._floor.count(self._detector.detect(sensor_t_s, message.distances_mm))
            yield CountStep(t_s, tuple(LineCrossing(c.line, c.direction, t_s) for c in counted.crossings))

    def finish(self) -> CountStep | None:
        """See `FloorCounting.finish`; crossings on the host's clock, as `steps` gives them."""
        final = self._floor.finish()
        if final is None:
            return None
        t_s = self._elapsed_s()
        return CountStep(t_s, tuple(LineCrossing(c.line, c.direction, t_s) for c in final.crossings))


class CounterCounting(_SerialCounting):
    """IN/OUT events from a counting device as crossings of one named line; PIR state as presence.

    Raises:
        SourceError: the serial port cannot be opened (names the port).
    """

    def __init__(self, config: CounterSerialSourceConfig, stop: threading.Event) -> None:
        self._line = config.line
        self._present = False
        super().__init__(config.port, config.baudrate, stop)

    def steps(self) -> Iterator[CountStep]:
        """One step per message, and an empty one whenever the line is quiet.

        Every step carries the presence state in force since the previous step.
        """
        for message in self._serial.messages():
            t_s = self._elapsed_s()
            crossings: tuple[LineCrossing, ...] = ()
            if isinstance(message, CounterEvent):
                crossings = (LineCrossing(self._line, message.direction, t_s),)
            was_present = self._present
            if isinstance(message, PresenceEvent):
                self._present = message.present
            yield CountStep(t_s, crossings, present=was_present)


def build_counting(config: AgentConfig, stop: threading.Event) -> Counting:
    """The counting stages for the configured source type.

    Raises:
        SourceError: the source cannot be opened (names the file, device or port).
        CalibrationError: the calibration file is missing or malformed.
    """
    source = config.source
    if isinstance(source, ToFSerialSourceConfig):
        return ToFCounting(source, config.tracker, config.lines, stop)
    if isinstance(source, CounterSerialSourceConfig):
        return CounterCounting(source, stop)
    # AgentConfig makes sure a camera or sim source comes with a detector and a calibration.
    assert config.detector is not None and config.calibration is not None
    return CameraCounting(source, config.detector, config.calibration, config.tracker, config.lines)
