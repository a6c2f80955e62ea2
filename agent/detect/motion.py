"""The motion gate: run the detector only when the picture has changed since it last ran.

An empty shop then costs a resize of each frame to a small grey image and
one comparison, a fraction of a neural network's inference. The pipeline
skips the detector (and the tracker update) on frames the gate closes;
tracks keep their last position and velocity until detection resumes, at
the latest after `max_interval_s`.

When what changed fits in a rectangle of at most `region_max_fraction` of
the frame (one person walking through an empty shop), the gate opens for
that rectangle only: a detector that can (`searches_regions`) looks there
alone, and the tracker updates only the tracks inside it (the others coast,
as on a skipped frame). The whole frame is still searched at least every
`max_interval_s`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from agent.detect.base import Detector, RegionDetector
from agent.detect.config import MotionGateConfig
from agent.types import Detections, Frame, PixelBox

# Light varies over a few small-frame pixels (lamps' pools of light); objects are sharper.
_LIGHT_SIGMA_PX = 3.0
_DARK_FLOOR = 4.0  # grey levels added to the light estimate so black areas do not amplify noise
# Small-frame pixels (at the default 64 px width) added around a changed area: a head that moved
# less than its own width changes only part of itself.
_REGION_MARGIN_PX_AT_64 = 3


@dataclass(frozen=True)
class GateDecision:
    """Whether to detect on a frame, and where: `region_px` (frame pixels) or None for all of it."""

    detect: bool
    region_px: PixelBox | None = None


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
        self._whole_t_s = 0.0  # when the whole frame was last searched
        self._last_t_s = 0.0
        self._margin_px = int(np.ceil(_REGION_MARGIN_PX_AT_64 * config.width_px / 64))
        self.frames_seen = 0
        self.frames_opened = 0
        self.frames_region = 0

    def small_grey(self, frame: Frame) -> npt.NDArray[np.float32]:
        """The frame as a small grey image `width_px` wide, divided by its local brightness.

        Dividing by a blurred copy (the light falling on each place) cancels
        auto exposure and lights switching on or off, which change brightness
        smoothly, and keeps edges, which move only when something moves.
        """
        h, w = frame.image.shape[:2]
        size = (self._config.width_px, max(1, round(self._config.width_px * h / w)))
        # Nearest to twice the size, then area-average: an average of 4 samples per small pixel
        # (sensor noise halved) that reads only the sampled rows of the frame; an area resize
        # from full size reads every byte and costs ten times as much, bilinear sampling 1.5 times.
        twice = cv2.resize(frame.image, (2 * size[0], 2 * size[1]), interpolation=cv2.INTER_NEAREST)
        small = cv2.resize(twice, size, interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        values = grey.astype(np.float32)
        light = cv2.GaussianBlur(values, (0, 0), _LIGHT_SIGMA_PX) + np.float32(_DARK_FLOOR)
        return np.asarray(values / light * np.float32(128.0), dtype=np.float32)

    def changed(self, grey: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_] | None:
        """Pixels of `grey` that differ from the reference by more than `pixel_threshold` (None without one)."""
        if self._reference is None or self._reference.shape != grey.shape:
            return None
        changed: npt.NDArray[np.bool_] = cv2.absdiff(grey, self._reference) > self._config.pixel_threshold
        return changed

    def changed_fraction(self, grey: npt.NDArray[np.float32]) -> float:
        """Fraction of pixels of `grey` that differ from the reference by more than `pixel_threshold` (1.0 without one)."""
        changed = self.changed(grey)
        return 1.0 if changed is None else np.count_nonzero(changed) / grey.size

    def should_detect(self, frame: Frame) -> bool:
        """True when detection should run on `frame`, anywhere in it (see `decide`)."""
        return self.decide(frame).detect

    def decide(self, frame: Frame) -> GateDecision:
        """Whether detection should run on `frame`, and on which part (always, all of it, when disabled).

        Opens on the first frame, when enough of the picture changed since the
        last open, when `max_interval_s` passed since the whole frame was last
        searched, or when time went backwards (a new source). An open gate
        takes `frame` as the new reference. Opened by a change that fits in
        `region_max_fraction` of the frame, it names the rectangle around it
        and takes only that part of `frame` into the reference.
        """
        self.frames_seen += 1
        if not self._config.enabled:
            self.frames_opened += 1
            return GateDecision(True)
        t_s = frame.meta.t_s
        grey = self.small_grey(frame)
        went_back = t_s < self._last_t_s
        self._last_t_s = t_s
        changed = self.changed(grey)
        whole = changed is None or went_back or t_s - self._whole_t_s >= self._config.max_interval_s
        moved = (
            changed is not None and np.count_nonzero(changed) > self._config.min_changed_fraction * grey.size
        )
        if not (whole or moved):
            return GateDecision(False)
        self.frames_opened += 1
        box = None if whole or changed is None else self._changed_box(changed)
        if box is None:
            self._reference = grey
            self._whole_t_s = t_s
            return GateDecision(True)
        # Only the searched part becomes the new reference: a slow change elsewhere keeps adding up.
        assert self._reference is not None  # `changed` was computed against it
        x0, y0, x1, y1 = box
        self._reference[y0:y1, x0:x1] = grey[y0:y1, x0:x1]
        self.frames_region += 1
        scale_x, scale_y = frame.meta.width_px / grey.shape[1], frame.meta.height_px / grey.shape[0]
        return GateDecision(True, (x0 * scale_x, y0 * scale_y, x1 * scale_x, y1 * scale_y))

    def _changed_box(self, changed: npt.NDArray[np.bool_]) -> tuple[int, int, int, int] | None:
        """The rectangle (small-frame pixels x0, y0, x1, y1) around the changed pixels with a
        margin, or None when it covers more than `region_max_fraction` of the frame."""
        rows, cols = np.nonzero(changed)
        small_h, small_w = changed.shape
        m = self._margin_px
        x0, x1 = max(0, int(cols.min()) - m), min(small_w, int(cols.max()) + 1 + m)
        y0, y1 = max(0, int(rows.min()) - m), min(small_h, int(rows.max()) + 1 + m)
        if (x1 - x0) * (y1 - y0) > self._config.region_max_fraction * small_w * small_h:
            return None
        return x0, y0, x1, y1


class GatedDetector:
    """A detector behind a motion gate: `detect` returns None for a frame the gate skips.

    The caller then skips the tracker update too, so tracks coast: they keep
    their last position and velocity, and are matched again against the next
    detections at their predicted positions. When the gate opens for a region
    and the detector `searches_regions`, only that region is searched and the
    detections say so (`Detections.region_px`).
    """

    def __init__(self, detector: Detector, gate: MotionGate | None) -> None:
        self.detector = detector
        self.gate = gate

    def detect(self, frame: Frame) -> Detections | None:
        """The detector's output for `frame`, or None when nothing moved since the last detection."""
        if self.gate is None:
            return self.detector.detect(frame)
        decision = self.gate.decide(frame)
        if not decision.detect:
            return None
        region_px = decision.region_px
        if (
            region_px is not None
            and isinstance(self.detector, RegionDetector)
            and self.detector.searches_regions
        ):
            return self.detector.detect(frame, region_px)
        return self.detector.detect(frame)
