"""The live session: the configured source run through the counting stages, for the page to watch.

One thread reads frames and runs detector -> projector -> tracker -> line
counters, as the agent does (agent/runtime/counting.py), but keeps what the
page shows: the newest frame (in RAM only, replaced by the next one), its
detections in pixels, short track tails in floor metres, and the crossings
counted per line since the last reset. Calibration and lines can be swapped
while it runs; the stages that depend on them are rebuilt, and the counts
restart (a count against a line that has moved means nothing).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent.analytics.config import LineConfig, ZoneConfig
from agent.config import AgentConfig
from agent.detect import GatedDetector, build_detector, build_motion_gate
from agent.detect.config import DetectorConfig
from agent.errors import ConfigError
from agent.geometry.calibration_file import load_calibration, load_lens
from agent.geometry.camera import CameraModel
from agent.geometry.config import FileCalibrationConfig
from agent.geometry.errors import CalibrationError
from agent.geometry.lens import Lens
from agent.geometry.projector import CameraProjector
from agent.runtime.counting import FloorCounting
from agent.sim.config import SimSourceConfig
from agent.sources import FrameSource, build_source
from agent.sources.config import CameraSourceConfig, FileSourceConfig, FrameSourceConfig
from agent.types import FloatArray, Frame, LineCrossing

log = logging.getLogger(__name__)

# A tail keeps this many positions: two seconds at 15 frames per second.
TAIL_LENGTH = 30
_FRAME_SOURCES = (CameraSourceConfig, FileSourceConfig, SimSourceConfig)


@dataclass(frozen=True, eq=False)
class LiveView:
    """What one frame showed. ``frame`` stays in RAM: it is drawn and encoded only by ``preview``.

    Attributes:
        frame: the image and its metadata.
        points_px: detected points (N, 2), pixels.
        boxes_px: detected boxes (N, 4) x0 y0 x1 y1 in pixels, or None for point detectors.
        tails_m: one (K, 2) array of floor positions (metres, oldest first) per confirmed track.
    """

    frame: Frame
    points_px: FloatArray
    boxes_px: FloatArray | None
    tails_m: tuple[FloatArray, ...]


@dataclass
class _Stages:
    """The stages that depend on the calibration and the lines; replaced as a whole."""

    detector: GatedDetector
    projector: CameraProjector | None
    floor: FloorCounting
    epoch: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


class LiveSession:
    """The configured frame source and counting stages, run on a thread for the calibration page.

    Raises:
        ConfigError: the source is not a camera, file or sim source, or the
            calibration is not a lens calibration file (the page solves poses
            with a lens).
        CalibrationError: the calibration file cannot be read.
    """

    def __init__(self, config: AgentConfig, config_path: Path) -> None:
        calibration = config.calibration
        source = config.source
        if config.detector is None or calibration is None or not isinstance(source, _FRAME_SOURCES):
            raise ConfigError(
                config_path,
                [f"{config_path}: source type {config.source.type!r}: the calibration page needs a camera, "
                 "file or sim source"],
            )  # fmt: skip
        if not isinstance(calibration, FileCalibrationConfig):
            raise ConfigError(
                config_path,
                [f"{config_path}: calibration.type is {calibration.type!r}: the calibration page needs a lens "
                 "calibration file (calibration.type = \"file\"); make one with 'footfall calibrate lens' "
                 "or 'footfall calibrate quick'"],
            )  # fmt: skip
        self.calibration_path = calibration.path
        self.point_height_m = calibration.point_height_m
        self.lens: Lens = load_lens(calibration.path)
        try:
            camera: CameraModel | None = load_calibration(calibration.path)
        except CalibrationError:
            camera = None  # a lens without a pose yet: the page is where the pose gets solved
        self._config = config
        self._source_config: FrameSourceConfig = source
        self._detector_config: DetectorConfig = config.detector
        self._lock = threading.Lock()
        self._new_frame = threading.Condition(self._lock)
        self._camera = camera
        self._lines: tuple[LineConfig, ...] = tuple(config.lines)
        self._zones: tuple[ZoneConfig, ...] = tuple(config.zones)
        self._image_size: tuple[int, int] | None = None
        self._latest: LiveView | None = None
        self._tails: dict[int, deque[tuple[float, float]]] = {}
        self._epoch = 0
        self._stages = self._build_stages()
        self._stop = threading.Event()
        self._source: FrameSource | None = None
        self._thread: threading.Thread | None = None
        self.error: str | None = None
        self.frames_seen = 0

    # --- lifecycle ------------------------------------------------------------
    def start(self) -> None:
        """Open the source and start reading frames on a thread.

        Raises:
            SourceError: the source cannot be opened (names the device or file).
        """
        self._source = build_source(self._source_config)
        self._thread = threading.Thread(target=self._run, name="calibration-live", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop reading and release the source; the last frame is dropped."""
        self._stop.set()
        if self._source is not None:
            self._source.close()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        with self._lock:
            self._latest = None
            self._new_frame.notify_all()

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        return self._stop.is_set()

    # --- what the page reads ----------------------------------------------------
    @property
    def image_size(self) -> tuple[int, int] | None:
        """(width, height) of the frames in pixels, once the first frame came."""
        with self._lock:
            return self._image_size

    @property
    def camera(self) -> CameraModel | None:
        """The calibrated camera at the frames' size (None: no pose yet)."""
        with self._lock:
            return self._camera

    @property
    def lines(self) -> tuple[LineConfig, ...]:
        """The counting lines in force."""
        with self._lock:
            return self._lines

    @property
    def zones(self) -> tuple[ZoneConfig, ...]:
        """The zones in force."""
        with self._lock:
            return self._zones

    @property
    def epoch(self) -> int:
        """Incremented whenever the stages are rebuilt (and the counts restart)."""
        with self._lock:
            return self._epoch

    def counts(self) -> dict[str, dict[str, int]]:
        """Crossings per line since the stages were built or `reset_counts`: {line: {"in": n, "out": n}}."""
        with self._lock:
            return {line.name: dict(self._stages.counts[line.name]) for line in self._lines}

    def reset_counts(self) -> None:
        """Start the counts from zero (the tally does, when it starts)."""
        with self._lock:
            for counts in self._stages.counts.values():
                counts["in"] = counts["out"] = 0

    def frame_lens(self) -> Lens:
        """The lens at the frames' size (the size clicked pixels are in).

        Raises:
            ValueError: the frames' aspect ratio differs from the calibrated one.
        """
        size = self.image_size
        return self.lens if size is None else self.lens.resized(*size)

    def latest(self, after_index: int = -1, timeout_s: float = 1.0) -> LiveView | None:
        """The newest view with a frame index above ``after_index``, waiting up to ``timeout_s``; else None."""
        with self._new_frame:
            self._new_frame.wait_for(
                lambda: (
                    self._stop.is_set()
                    or (self._latest is not None and self._latest.frame.meta.index > after_index)
                ),
                timeout=timeout_s,
            )
            view = self._latest
        return view if view is not None and view.frame.meta.index > after_index else None

    # --- changes from the page --------------------------------------------------
    def set_camera(self, camera: CameraModel) -> None:
        """Use a newly solved camera (at the frames' size); tracks and counts restart."""
        with self._lock:
            self._camera = camera
            self._stages = self._build_stages()

    def set_layout(self, lines: list[LineConfig], zones: list[ZoneConfig]) -> None:
        """Use new lines and zones; the line counts restart."""
        with self._lock:
            self._lines, self._zones = tuple(lines), tuple(zones)
            self._epoch += 1
            self._stages.floor = FloorCounting(self._config.tracker, self._lines, self._stages.projector)
            self._stages.counts = {line.name: {"in": 0, "out": 0} for line in self._lines}
            self._stages.epoch = self._epoch

    # --- the thread -------------------------------------------------------------
    def _build_stages(self) -> _Stages:
        """New stages for the current camera and lines (called with the lock held, or in __init__)."""
        self._epoch += 1
        self._tails.clear()
        camera = self._camera
        projector = None if camera is None else CameraProjector(camera, self.point_height_m)
        return _Stages(
            detector=GatedDetector(
                build_detector(self._detector_config, projector), build_motion_gate(self._detector_config)
            ),
            projector=projector,
            floor=FloorCounting(self._config.tracker, self._lines, projector),
            epoch=self._epoch,
            counts={line.name: {"in": 0, "out": 0} for line in self._lines},
        )

    def _run(self) -> None:
        assert self._source is not None
        try:
            for frame in self._source.frames():
                if self._stop.is_set():
                    break
                self._step(frame)
        except Exception as error:  # the page must say why the view stopped, not just freeze
            log.exception("live view stopped")
            self.error = f"the live view stopped: {error}"

    def _fit_to_frames(self, width_px: int, height_px: int) -> None:
        """On the first frame: scale the camera to the frames' size (called with the lock held)."""
        self._image_size = (width_px, height_px)
        if self._camera is None:
            return
        try:
            fitted = self._camera.resized(width_px, height_px)
        except ValueError as error:
            self.error = f"{self.calibration_path}: {error}"
            self._camera = None
            self._stages = self._build_stages()
            return
        if fitted is not self._camera:
            self._camera = fitted
            self._stages = self._build_stages()

    def _step(self, frame: Frame) -> None:
        with self._lock:
            if self._image_size is None:
                self._fit_to_frames(frame.meta.width_px, frame.meta.height_px)
            stages = self._stages
            epoch, floor = stages.epoch, stages.floor
        detections = stages.detector.detect(
            frame,
            tracking=stages.projector is None or floor.tracking,
            watching=floor.watching(stages.detector.line_watch_m),
        )
        tracks = None
        crossings: tuple[LineCrossing, ...] = ()
        if stages.projector is not None:
            step = floor.count_detections(frame.meta.t_s, detections, stages.projector, frame.image)
            tracks, crossings = step.tracks, step.crossings
        with self._new_frame:
            self.frames_seen += 1
            if stages is self._stages and stages.epoch == epoch:  # not rebuilt meanwhile
                for crossing in crossings:
                    if crossing.line in stages.counts:
                        stages.counts[crossing.line][crossing.direction] += 1
                if tracks is not None:
                    alive = set(tracks.ids.tolist())
                    for gone in [i for i in self._tails if i not in alive]:
                        del self._tails[gone]  # per-track state dies with the track
                    for track_id, position in zip(tracks.ids.tolist(), tracks.positions_m, strict=True):
                        tail = self._tails.setdefault(track_id, deque(maxlen=TAIL_LENGTH))
                        tail.append((float(position[0]), float(position[1])))
            empty_points = np.zeros((0, 2))
            self._latest = LiveView(
                frame,
                empty_points if detections is None else detections.points_px,
                None if detections is None else detections.boxes_px,
                tuple(np.asarray(tail, dtype=np.float64) for tail in self._tails.values()),
            )
            self._new_frame.notify_all()
