"""What each detected person looks like from above, in six numbers: for telling neighbours apart.

In a crowd two people walk within half a metre of each other, and when the
detector misses one of them for a frame or two, position and speed alone
cannot say which track a detection belongs to: the tracks swap people, or a
track ends and its person starts a new one. Their colours can say: the
median colour of the hair (a disc on the head's middle) and of the shoulders
and top (a ring around where the shoulders are seen), sampled from the frame
(bilinear) at the size a person has at that point of the image
(`PersonSizeMap`, from the calibration), in
CIE Lab so that a distance between two descriptors reads alike for every
hue. On the committed `busy` clip (its 150 frames, at the truth's head
points) a person's descriptor moves a median 0.029 from one frame to the
next, while the nearest neighbour within 1 m differs by a median 0.226, and
96 % of the time more than the person's own change (Euclidean distance in
[0, 1] units; sampled around the head top itself, as until 2026-12-02:
0.034, 0.189 and 95 %).

Six numbers per person per frame, computed from the frame in memory and
kept by the tracker only as long as the track lives: like the image and
track ids, they never leave the process. Written by hand because it is a
few pixel lookups: re-identification libraries run a network per person,
far beyond an edge device's budget for 50 people at 10 frames a second.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from agent.detect.person_size import PersonSizeMap
from agent.geometry.camera import CameraModel
from agent.types import FloatArray

APPEARANCE_SIZE = 6  # Lab of the head, Lab of the shoulders
_RING_POINTS = 16
_HEAD_RADIUS = 0.35  # of the person's image radius: the hair around the head's middle
# The ring over the shoulders and top. Around a lone person in a pinhole view it reaches past the
# shoulders and reads what surrounds them; 0.5 reads the top, but tracked and counted the `busy`
# clips no better (benchmarks/RESULTS.md, #7 IDF1).
_SHOULDER_RADIUS = 0.8
_FALLBACK_RADIUS_PX = 3.0  # where no person fits the size map (outside a fisheye's circle)
# Where the samples are centred, below the head top the detector points at: the head's middle and the
# shoulders (about 0.82 of a person's height: adult anthropometry). A lower point lies further from
# the camera, so away from straight below it the picture shows it nearer its middle than the head top:
# in `entrance`'s view (3.2 m up, 640 x 480) the head's middle by up to 25 px, the shoulders by up to
# 68 (at its corners), where a disc on the head top itself reads the floor beside the head.
_HEAD_CENTRE_BELOW_TOP_M = 0.1
_SHOULDER_HEIGHT = 0.82
_SHIFT_GRID_PX = 8  # those shifts are worked out once on this grid and interpolated (bilinear)
# The light: the mean brightness of each cell of a coarse grid. People walking change a cell by at most
# 7.5 % from one frame to the next (1,795 frame pairs of the committed clips but `night`, and a held-out
# `busy` clip); lights switching on or off, or the camera's exposure jumping, change one by 25 % to
# 300 % (`night`).
_LIGHT_GRID = (4, 3)
_LIGHT_CHANGE = 0.15


def _pattern() -> tuple[FloatArray, FloatArray]:
    """Unit sample offsets: the head disc (its centre and a half-radius circle) and the ring."""
    angles = np.linspace(0.0, 2.0 * np.pi, _RING_POINTS, endpoint=False)
    ring = np.column_stack([np.cos(angles), np.sin(angles)])
    head = np.vstack([[0.0, 0.0], 0.5 * ring[::2], ring[1::2]])
    return head, ring


class AppearanceSampler:
    """Appearance descriptors (N, 6) of people at image points, for one camera and image size.

    Raises:
        ValueError: `height_m` or `width_m` is not positive.
    """

    def __init__(self, camera: CameraModel, height_m: float = 1.7, width_m: float = 0.5) -> None:
        self._sizes = PersonSizeMap(camera, height_m, width_m)
        self._head_shift = _shift_field(camera, height_m, _HEAD_CENTRE_BELOW_TOP_M)
        self._shoulder_shift = _shift_field(camera, height_m, (1.0 - _SHOULDER_HEIGHT) * height_m)
        self._width_px = camera.width_px
        self._height_px = camera.height_px
        self._head, self._ring = _pattern()
        self._light: np.ndarray | None = None

    def light_changed(self, image: np.ndarray) -> bool:
        """Whether the light changed since the previous frame given here: some cell of a 4 x 3 grid
        over `image` (BGR, or grey) is 15 % brighter or darker. Then what people looked like before
        says little about what they look like now.

        Not the motion gate's light jump: that compares each frame with the one before, and the
        gate may skip the very frame the lights switched on; this compares the frames whose people
        were described. Each cell averages 16 x 16 pixels sampled across it (0.01 ms; an area
        average of every pixel costs 0.08 ms and tells light from people no better).
        """
        columns, rows = _LIGHT_GRID
        sampled = cv2.resize(image, (16 * columns, 16 * rows), interpolation=cv2.INTER_NEAREST)
        grey = sampled if sampled.ndim == 2 else cv2.cvtColor(sampled, cv2.COLOR_BGR2GRAY)
        light = cv2.resize(grey, _LIGHT_GRID, interpolation=cv2.INTER_AREA).astype(np.float64) + 1.0
        previous, self._light = self._light, light
        return previous is not None and bool(np.any(np.abs(light / previous - 1.0) > _LIGHT_CHANGE))

    def describe(self, image: np.ndarray, points_px: FloatArray) -> FloatArray:
        """Median Lab colour of the head and of the shoulder ring of each point (N, 2) px, in [0, 1].

        `image` is the frame the points were found in (BGR, or grey), of the
        camera's size. Only samples inside the image count; a person with
        fewer than half of the head's or the ring's samples inside it gets a
        row of NaN (not seen).

        Raises:
            ValueError: the image is not of the camera's size.
        """
        if image.shape[:2] != (self._height_px, self._width_px):
            raise ValueError(
                f"appearance: image is {image.shape[1]}x{image.shape[0]} px, the calibration "
                f"{self._width_px}x{self._height_px} px"
            )
        points = np.asarray(points_px, dtype=np.float64).reshape(-1, 2)
        if not len(points):
            return np.zeros((0, APPEARANCE_SIZE))
        radius_px = np.sqrt(self._sizes.area_px(points) / np.pi)
        radius_px = np.where(np.isfinite(radius_px), radius_px, _FALLBACK_RADIUS_PX)
        parts = []
        seen = np.ones(len(points), dtype=bool)
        grid = (points / _SHIFT_GRID_PX).astype(np.float32)
        for scale, pattern, field in (
            (_HEAD_RADIUS, self._head, self._head_shift),
            (_SHOULDER_RADIUS, self._ring, self._shoulder_shift),
        ):
            shift = cv2.remap(
                field, grid[:, :1], grid[:, 1:], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
            centres = points + shift.reshape(-1, 2)
            samples = centres[:, None, :] + pattern[None, :, :] * (scale * radius_px)[:, None, None]
            u, v = samples[..., 0], samples[..., 1]
            inside = (u > -0.5) & (u < self._width_px - 0.5) & (v > -0.5) & (v < self._height_px - 0.5)
            seen &= inside.mean(axis=1) >= 0.5
            # Bilinear: a head a few pixels wide moves its samples by fractions of a pixel between frames.
            pixels = cv2.remap(
                image,
                u.astype(np.float32),
                v.astype(np.float32),
                cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REPLICATE,
            )
            if pixels.ndim == 2:  # a grey frame
                pixels = np.repeat(pixels[..., None], 3, axis=2)
            lab = cv2.cvtColor(np.ascontiguousarray(pixels, dtype=np.uint8), cv2.COLOR_BGR2Lab)
            parts.append(_median_inside(lab, inside))
        descriptors = np.hstack(parts) / 255.0
        descriptors[~seen] = np.nan  # half the person outside the image: their colours say little
        return descriptors


def _shift_field(camera: CameraModel, height_m: float, below_m: float) -> npt.NDArray[np.float32]:
    """(rows, cols, 2) pixels from a head top seen at each node of an `_SHIFT_GRID_PX` grid over the
    image to where the camera sees the point `below_m` metres below it, for a person `height_m` tall;
    0 where either ray misses (outside a fisheye's circle)."""
    cols = np.arange(0, camera.width_px + _SHIFT_GRID_PX, _SHIFT_GRID_PX, dtype=np.float64)
    rows = np.arange(0, camera.height_px + _SHIFT_GRID_PX, _SHIFT_GRID_PX, dtype=np.float64)
    nodes = np.stack(np.meshgrid(cols, rows), axis=-1).reshape(-1, 2)
    seen = camera.floor_to_pixels(camera.pixels_to_floor(nodes, height_m), height_m - below_m)
    shift = np.nan_to_num(seen - nodes, nan=0.0, posinf=0.0, neginf=0.0)
    return shift.reshape(len(rows), len(cols), 2).astype(np.float32)


def _median_inside(values: np.ndarray, inside: np.ndarray) -> FloatArray:
    """Per row, the median (N, C) of the samples `values` (N, S, C) where `inside` (N, S) holds.

    A sort with the outside samples last, then the middle of the inside ones:
    a tenth of the time of `np.nanmedian` for 50 people. A row without a
    sample inside gets its first sample (the caller marks it not seen).
    """
    ordered = np.sort(np.where(inside[:, :, None], values.astype(np.float64), np.inf), axis=1)
    count = np.maximum(inside.sum(axis=1), 1)[:, None]  # (N, 1)
    rows = np.arange(len(values))[:, None]
    channels = np.arange(values.shape[2])[None, :]
    low, high = ordered[rows, (count - 1) // 2, channels], ordered[rows, count // 2, channels]
    median = (low + high) / 2
    return np.asarray(np.where(np.isfinite(median), median, values[:, 0, :]), dtype=np.float64)
