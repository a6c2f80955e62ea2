"""People on multizone time-of-flight depth frames (VL53L5CX-style 4x4 or 8x8 zones).

The sensor looks straight down from the ceiling. Each zone's empty-floor
distance is learnt from the first frames (median) and then follows slow
changes (an exponential average, only where nobody stands). A zone is
foreground where something stands at least `min_height_m` above the floor,
so trolleys, prams and (optionally) children are ignored, as Irisys's height
filter does. People are the local maxima of the height map (heads are the
highest points), merged when closer than a shoulder width, so two people
walking abreast are two detections. Positions are floor metres under the
sensor (origin at the nadir, x along columns, y against rows, as on a map),
ready for the same tracker and line counters as the camera path.
"""

from __future__ import annotations

import warnings

import cv2
import numpy as np
import numpy.typing as npt

from agent.types import FloorPoints

# Two height peaks closer than this on the floor are one person (about a shoulder width, m);
# a person's position is the height-weighted centre of their zones within this radius.
_SAME_PERSON_M = 0.30
# Weight of a new empty-floor reading in the running floor estimate.
_FLOOR_LEARNING_RATE = 0.02


class ToFPeopleDetector:
    """Finds people (head points in floor metres) on depth frames.

    Raises:
        ValueError: an argument is out of range, named with its value.
    """

    def __init__(self, *, fov_deg: float = 45.0, min_height_m: float = 1.0, learn_frames: int = 15) -> None:
        if not 10.0 <= fov_deg <= 120.0:
            raise ValueError(f"fov_deg is {fov_deg}, should be within 10..120 degrees")
        if not 0.1 <= min_height_m <= 2.2:
            raise ValueError(f"min_height_m is {min_height_m}, should be within 0.1..2.2 m")
        if learn_frames < 1:
            raise ValueError(f"learn_frames is {learn_frames}, should be >= 1")
        self._fov_rad = np.radians(fov_deg)
        self._min_height_m = min_height_m
        self._learn_frames = learn_frames
        self._learning: list[npt.NDArray[np.float64]] = []
        self._floor_mm: npt.NDArray[np.float64] | None = None
        self._rays: npt.NDArray[np.float64] | None = None

    @property
    def floor_mm(self) -> npt.NDArray[np.float64] | None:
        """The learnt empty-floor distance per zone (mm), None while still learning."""
        return self._floor_mm

    def _zone_rays(self, rows: int, cols: int) -> npt.NDArray[np.float64]:
        """Unit vectors (rows, cols, 3) of each zone's centre, z pointing down to the floor."""
        step = self._fov_rad / cols, self._fov_rad / rows
        ax = (np.arange(cols) + 0.5 - cols / 2) * step[0]
        ay = -(np.arange(rows) + 0.5 - rows / 2) * step[1]  # row 0 is the far (+y) side
        tx, ty = np.meshgrid(np.tan(ax), np.tan(ay))
        rays = np.dstack([tx, ty, np.ones_like(tx)])
        return np.asarray(rays / np.linalg.norm(rays, axis=2, keepdims=True))

    def detect(self, t_s: float, distances_mm: npt.NDArray[np.integer]) -> FloorPoints:
        """People in one frame (0 = invalid zone). Empty while the floor is being learnt."""
        frame = distances_mm.astype(float)
        valid = frame > 0
        if self._floor_mm is None or self._floor_mm.shape != frame.shape:
            self._learn(frame, valid)
            return FloorPoints(t_s, np.zeros((0, 2)), np.zeros(0))
        assert self._rays is not None
        cos_off_axis = self._rays[:, :, 2]
        height_m = np.where(valid, (self._floor_mm - frame) * cos_off_axis / 1000.0, 0.0)
        foreground = height_m >= self._min_height_m
        background = valid & ~foreground & (np.abs(height_m) < 0.3)
        self._floor_mm[background] += _FLOOR_LEARNING_RATE * (frame[background] - self._floor_mm[background])
        if not foreground.any():
            return FloorPoints(t_s, np.zeros((0, 2)), np.zeros(0))
        # Local maxima of height among foreground zones: the heads.
        dilated = cv2.dilate(height_m.astype(np.float32), np.ones((3, 3), np.uint8))
        peaks = foreground & (height_m >= dilated - 1e-6)
        points = frame[..., None] / 1000.0 * self._rays
        rows, cols = np.nonzero(peaks)
        order = np.argsort(-height_m[rows, cols])
        chosen: list[npt.NDArray[np.float64]] = []
        heights: list[float] = []
        for r, c in zip(rows[order], cols[order], strict=True):
            xy = points[r, c, :2]
            if all(np.hypot(*(xy - other)) >= _SAME_PERSON_M for other in chosen):
                chosen.append(xy)
                heights.append(float(height_m[r, c]))
        centres = [self._centre(points, height_m, foreground, peak) for peak in chosen]
        scores = np.clip(np.array(heights) / 2.0, 0.0, 1.0)
        return FloorPoints(t_s, np.array(centres).reshape(-1, 2), scores)

    @staticmethod
    def _centre(
        points: npt.NDArray[np.float64],
        height_m: npt.NDArray[np.float64],
        foreground: npt.NDArray[np.bool_],
        peak_xy: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.float64]:
        """Height-weighted centre of the foreground zones within half a person of a peak."""
        near = foreground & (np.hypot(*(points[..., :2] - peak_xy).transpose(2, 0, 1)) < _SAME_PERSON_M / 2)
        weights = height_m[near]
        return np.asarray((points[near][:, :2] * weights[:, None]).sum(axis=0) / weights.sum())

    def _learn(self, frame: npt.NDArray[np.float64], valid: npt.NDArray[np.bool_]) -> None:
        if self._learning and self._learning[0].shape != frame.shape:
            self._learning.clear()
        self._learning.append(np.where(valid, frame, np.nan))
        if len(self._learning) < self._learn_frames:
            return
        stack = np.array(self._learning)
        self._learning.clear()
        if not np.isfinite(stack).any():
            return  # not one valid return yet: keep learning
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # zones that never returned a distance
            floor = np.nanmedian(stack, axis=0)
        # A zone that never returned while learning takes the median of the whole floor.
        self._floor_mm = np.where(np.isfinite(floor), floor, np.nanmedian(stack))
        self._rays = self._zone_rays(*frame.shape)
