"""The motion gate: run the detector only when the picture has changed since it last ran.

An empty shop then costs a resize of each frame to a small grey image and
one comparison, a fraction of a neural network's inference. The pipeline
skips the detector (and the tracker update) on frames the gate closes;
tracks keep their last position and velocity until detection resumes, at
the latest after `max_interval_s` (`idle_interval_s` while nobody is
tracked: then there is nobody standing still to see again). When movement
opens the gate, the detector may look only around what moved and the
people it found the last time (`regions`), at a fraction of the cost.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from agent.detect.base import Detector, RegionDetector
from agent.detect.config import MotionGateConfig
from agent.types import Detections, FloatArray, Frame

# Light varies over a few small-frame pixels (lamps' pools of light); objects are sharper.
_LIGHT_SIGMA_PX = 3.0
_DARK_FLOOR = 4.0  # grey levels added to the light estimate so black areas do not amplify noise


class MotionGate:
    """Decides per frame whether detection should run.

    `frames_seen` and `frames_opened` count the decisions, for health and
    benchmarks.

    Raises:
        ValueError: on a config outside its ranges (pydantic validates these at load).
    """

    def __init__(self, config: MotionGateConfig) -> None:
        self._config = config
        self._reference: npt.NDArray[np.float32] | None = None
        self._reference_size: tuple[int, ...] = ()
        self._reference_t_s = 0.0
        self._last_t_s = 0.0
        self._last_brightness: float | None = None
        self._whole_t_s = 0.0
        self.moved_box_px: tuple[float, float, float, float] | None = None
        self.frames_seen = 0
        self.frames_opened = 0

    def small_grey(self, frame: Frame) -> npt.NDArray[np.float32]:
        """The frame as a small grey image `width_px` wide, divided by its local brightness.

        Dividing by a blurred copy (the light falling on each place) cancels
        auto exposure and lights switching on or off, which change brightness
        smoothly, and keeps edges, which move only when something moves.
        """
        return _divided_by_light(self._small_values(frame))

    def _small_values(self, frame: Frame) -> npt.NDArray[np.float32]:
        """The frame as a small grey image `width_px` wide, grey levels 0-255 as float32."""
        h, w = frame.image.shape[:2]
        size = (self._config.width_px, max(1, round(self._config.width_px * h / w)))
        # Nearest to twice the size, then area-average: an average of 4 samples per small pixel
        # (sensor noise halved) that reads only the sampled rows of the frame; an area resize
        # from full size reads every byte and costs ten times as much, bilinear sampling 1.5 times.
        twice = cv2.resize(frame.image, (2 * size[0], 2 * size[1]), interpolation=cv2.INTER_NEAREST)
        small = cv2.resize(twice, size, interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return grey.astype(np.float32)

    def _changed(self, grey: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8] | None:
        """Where `grey` differs from the reference by more than `pixel_threshold` (1), None without one."""
        if self._reference is None or self._reference.shape != grey.shape:
            return None
        return np.asarray(cv2.absdiff(grey, self._reference) > self._config.pixel_threshold, np.uint8)

    @property
    def line_watch_m(self) -> float:
        """How close to a counting line (m) a tracked person makes every frame detected; 0 = off."""
        return self._config.line_watch_m

    def should_detect(self, frame: Frame, *, tracking: bool = True, watching: bool = False) -> bool:
        """True when detection should run on `frame` (always when the gate is disabled).

        Opens on the first frame (and the first of a new size), when enough of
        the picture changed since the last open, when `max_interval_s` passed
        since then (`idle_interval_s` when `tracking` is False: the tracker
        holds nobody, not even a tentative track), or when time went
        backwards (a new source). A frame whose mean brightness jumped by more
        than `light_jump_grey` from the previous frame (a light switching or
        flickering: clipped highlights and dark corners change that division
        by the local light cannot undo) does not open it for change, but while
        the light keeps jumping `max_interval_s` applies even when nobody is
        tracked. It also opens on every frame while `watching`: the tracker
        holds a track that is not confirmed yet (a newcomer is confirmed in
        `min_hits` consecutive frames, not left unreported while the gate
        waits for enough change: in a fisheye crowd, heads a few pixels wide
        move less than that from one frame to the next, and skipping frames
        there left 50 people unreported for the first 1.5 s of the `busy`
        clip), or someone tracked is within `line_watch_m` of a counting line
        (one shopper walking away from a shelf across a line under a camera
        3-4 m up did not open the gate, and the passage fell between two
        detections a second apart).
        An open gate takes `frame` as the new reference.

        `moved_box_px` then says where to look: None for the whole frame, or
        the box (x0, y0, x1, y1 frame pixels) around what changed, when
        movement opened the gate, `regions` is on and the whole frame was
        looked at less than the interval ago.
        """
        self.frames_seen += 1
        if not self._config.enabled:
            self.frames_opened += 1
            return True
        t_s = frame.meta.t_s
        values = self._small_values(frame)
        grey = _divided_by_light(values)
        brightness = cv2.mean(values)[0]  # 0.8 us against NumPy's 4.6 on every frame
        light_jumped = (
            self._last_brightness is not None
            and abs(brightness - self._last_brightness) > self._config.light_jump_grey
        )
        self._last_brightness = brightness
        went_back = t_s < self._last_t_s
        self._last_t_s = t_s
        interval_s = self._config.max_interval_s if tracking or light_jumped else self._config.idle_interval_s
        changed = None if light_jumped else self._changed(grey)
        moved = (
            changed is not None and np.count_nonzero(changed) > self._config.min_changed_fraction * grey.size
        )
        new_size = self._reference is None or self._reference_size != frame.image.shape[:2]
        whole = new_size or went_back or t_s - self._reference_t_s >= interval_s
        if not (whole or moved or watching):
            return False
        self._reference = grey
        self._reference_size = frame.image.shape[:2]
        self._reference_t_s = t_s
        self.frames_opened += 1
        # A look at what moved only, while the last look at the whole frame is recent enough.
        looked_back_s = t_s - self._whole_t_s
        if whole or not moved or changed is None or not self._config.regions or looked_back_s >= interval_s:
            self._whole_t_s = t_s
            self.moved_box_px = None
        else:
            self.moved_box_px = _box_in_frame(changed, frame)
        return True


def _box_in_frame(changed: npt.NDArray[np.uint8], frame: Frame) -> tuple[float, float, float, float]:
    """The box (x0, y0, x1, y1 frame pixels) around the changed pixels of a small frame."""
    x, y, w, h = cv2.boundingRect(changed)
    scale_x = frame.image.shape[1] / changed.shape[1]
    scale_y = frame.image.shape[0] / changed.shape[0]
    return (x * scale_x, y * scale_y, (x + w) * scale_x, (y + h) * scale_y)


def _divided_by_light(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Small grey `values` divided by a blurred copy of themselves, scaled so that an even field is 128."""
    light = cv2.GaussianBlur(values, (0, 0), _LIGHT_SIGMA_PX) + np.float32(_DARK_FLOOR)
    return np.asarray(values / light * np.float32(128.0), dtype=np.float32)


class GatedDetector:
    """A detector behind a motion gate: `detect` returns None for a frame the gate skips.

    The caller then skips the tracker update too, so tracks coast: they keep
    their last position and velocity, and are matched again against the next
    detections at their predicted positions. When the gate gives a region
    and the detector can look at part of a frame (`RegionDetector`), it looks
    around what moved and around the people it found the last time (who may
    be standing still), in one box.
    """

    def __init__(self, detector: Detector, gate: MotionGate | None) -> None:
        self.detector = detector
        self.gate = gate
        # How close to a counting line (m) a tracked person makes every frame detected (0: no gate).
        self.line_watch_m = 0.0 if gate is None else gate.line_watch_m
        self.region_looks = 0  # detections asked for around a region only (benchmarks)
        self._last_points_px: FloatArray = np.zeros((0, 2))

    def detect(self, frame: Frame, *, tracking: bool = True, watching: bool = False) -> Detections | None:
        """The detector's output for `frame`, or None when nothing moved since the last detection.

        `tracking`: whether the tracker holds anyone; `watching`: whether a track awaits
        confirmation or someone is near a counting line (see `MotionGate.should_detect`).
        """
        if self.gate is None:
            return self.detector.detect(frame)
        if not self.gate.should_detect(frame, tracking=tracking, watching=watching):
            return None
        moved = self.gate.moved_box_px
        if moved is None or not isinstance(self.detector, RegionDetector):
            detections = self.detector.detect(frame)
        else:
            points = self._last_points_px
            if len(points):  # one box holding what moved and the people found last time
                low = np.minimum(moved[:2], points.min(axis=0))
                high = np.maximum(moved[2:], points.max(axis=0))
                moved = (float(low[0]), float(low[1]), float(high[0]), float(high[1]))
            detections = self.detector.detect_region(frame, moved)
            self.region_looks += 1
        self._last_points_px = detections.points_px
        return detections
