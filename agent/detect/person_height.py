"""How tall each detected person is, from the picture of their head: to place them where they stand.

One ceiling camera cannot triangulate a head, so the agent takes every head
top to the floor at one assumed height (`calibration.point_height_m`, 1.7 m).
Away from straight below the camera that places a taller person farther out
and a child nearer in: a 1.85 m cleaner walking 0.45 m from the camera's
nadir under a 3.5 m ceiling lands 5 cm farther out, across a 0.5 m heatmap
cell's edge, for every step of their round (benchmarks/RESULTS.md, the
heatmap goal).

A head's size in the picture says how far below the camera it is. This
module samples, around each detected head top, a square of the plane at
`CROP_PLANE_M` (`CROP_SIZE_M` wide, `CROP_PX` x `CROP_PX` samples) through
the camera model (bilinear, `cv2.remap`). In such a crop every lens and
mounting height shows a head at one scale for one height: a head whose top
is at `h` m, under a camera `H` m up, shows `s = (H - CROP_PLANE_M) / (H - h)`
times as large as one at the plane. A small network
(`models/footfall_height.onnx`, trained on rendered people of 1.0-2.05 m by
`models/train_height.py`) reads `log s` from the crop; the height follows
from the camera's height. Nothing of the crop is kept: it lives in memory
for the one inference, like the frame.

A network trained with a loss on each crop reads what is likeliest for that
one crop, so it pulls every reading towards the heights it saw most: the
shipped one reads a pinhole's 1.94 m cleaner about 1.83 m, every time. A
model may carry, per lens kind, the line its readings follow against the
truth in `log s` (`read = a + b true`, metadata `read_line_<kind>` = "a b",
measured and written by `models/fit_height_readings.py --write KIND`);
`PersonHeights` then reads `(read - a) / b`, which is right on average for
every height, at the cost of 1 / b times the scatter of one reading. A
track averages its readings (`agent.track.kalman`), so the scatter shrinks
and the pull would not.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from agent.geometry.camera import CameraModel, ray_spread
from agent.geometry.lens import DISTORTION_LENGTH
from agent.types import FloatArray

CROP_PLANE_M = 1.7  # the plane the crops are sampled on (m above the floor)
CROP_SIZE_M = 0.5  # the side of the square sampled around a head top on that plane (m)
CROP_PX = 24  # samples along each side
# Where each crop's samples lie in the picture is worked out exactly on a coarser grid of the square
# (`_KNOTS` x `_KNOTS`, through the lens) and interpolated between (Catmull-Rom): projecting all 576 samples
# of 40 crops through the lens model cost 6.7 ms a frame; over 0.5 m the map is smooth.
_KNOTS = 7
_KNOT_OFFSETS_M = (np.arange(_KNOTS) / (_KNOTS - 1) - 0.5) * CROP_SIZE_M * (CROP_PX - 1) / CROP_PX
_KNOT_GRID_M = np.stack(np.meshgrid(_KNOT_OFFSETS_M, _KNOT_OFFSETS_M), axis=-1).reshape(-1, 2)


def _cubic_weights(knots: int, samples: int) -> FloatArray:
    """(samples, knots) Catmull-Rom weights: sample j at knot coordinate j (knots - 1) / (samples - 1),
    the knots continued in a straight line beyond the ends (so a straight map stays straight)."""
    weights = np.zeros((samples, knots))
    for j, u in enumerate(np.arange(samples) * (knots - 1) / (samples - 1)):
        k = min(int(u), knots - 2)
        t = u - k
        taps = (
            -0.5 * t**3 + t**2 - 0.5 * t,
            1.5 * t**3 - 2.5 * t**2 + 1,
            -1.5 * t**3 + 2 * t**2 + 0.5 * t,
            0.5 * t**3 - 0.5 * t**2,
        )
        for tap, weight in zip(range(k - 1, k + 3), taps, strict=True):
            if tap < 0:  # beyond an end: the knot the line through the last two would give
                weights[j, 0] += 2 * weight
                weights[j, 1] -= weight
            elif tap >= knots:
                weights[j, knots - 1] += 2 * weight
                weights[j, knots - 2] -= weight
            else:
                weights[j, tap] += weight
    return weights


_KNOTS_TO_SAMPLES = _cubic_weights(_KNOTS, CROP_PX)
# Heights outside this range (m) are not people standing: a reading there is clipped to it.
HEIGHT_RANGE_M = (0.8, 2.2)
READ_LINE_KEY = "read_line_"  # + a lens kind: the model's metadata key of that lens's line (module docstring)
_READ_SLOPES = (0.3, 1.5)  # a line's slope `b` outside this range is no calibration of a height network


def head_crops(
    image: npt.NDArray[np.uint8], camera: CameraModel, tops_m: FloatArray
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """The crops (N, CROP_PX, CROP_PX, 3) of `image` (BGR, as `camera` sees it) around the head tops
    whose rays cross the crop plane at `tops_m` (N, 2) m (`camera.pixels_to_floor(heads_px,
    CROP_PLANE_M)` for head tops in pixels), and a mask (N,) of those whose square lies wholly inside
    the image (the others are left black). `camera` must be sized as `image` is."""
    count = len(tops_m)
    crops = np.zeros((count, CROP_PX, CROP_PX, 3), np.uint8)
    if not count:
        return crops, np.zeros(0, bool)
    knots_m = tops_m[:, None, :] + _KNOT_GRID_M[None, :, :]
    knots_px = camera.floor_to_pixels(knots_m.reshape(-1, 2), CROP_PLANE_M).reshape(count, _KNOTS, _KNOTS, 2)
    height_px, width_px = image.shape[:2]
    with np.errstate(invalid="ignore"):
        inside = (
            np.isfinite(knots_px).all(axis=(1, 2, 3))
            & (knots_px[..., 0].min(axis=(1, 2)) >= 0)
            & (knots_px[..., 1].min(axis=(1, 2)) >= 0)
            & (knots_px[..., 0].max(axis=(1, 2)) <= width_px - 1)
            & (knots_px[..., 1].max(axis=(1, 2)) <= height_px - 1)
        )
    rows = np.flatnonzero(inside)
    if not len(rows):
        return crops, inside
    across = np.tensordot(knots_px[rows], _KNOTS_TO_SAMPLES, axes=([2], [1]))  # (n, knots, 2, samples)
    maps = np.tensordot(_KNOTS_TO_SAMPLES, across, axes=([1], [1]))  # (samples, n, 2, samples)
    maps = np.ascontiguousarray(
        maps.transpose(0, 1, 3, 2).reshape(CROP_PX, len(rows) * CROP_PX, 2), dtype=np.float32
    )
    sampled = cv2.remap(image, maps[..., 0], maps[..., 1], cv2.INTER_LINEAR)  # (CROP_PX, n * CROP_PX, 3)
    crops[rows] = sampled.reshape(CROP_PX, len(rows), CROP_PX, 3).transpose(1, 0, 2, 3)
    return crops, inside


def scale_to_height_m(camera: CameraModel, log_scale: FloatArray) -> FloatArray:
    """Head-top heights (m) from the network's `log s` readings (see the module docstring)."""
    above_m = camera.position_m[2]
    heights: FloatArray = above_m - (above_m - CROP_PLANE_M) / np.exp(log_scale)  # ray_spread solved for h
    return heights


def height_to_scale(camera: CameraModel, heights_m: FloatArray) -> FloatArray:
    """The network's target `log s` for heads whose tops are `heights_m` (m) up (training)."""
    scale: FloatArray = np.log(ray_spread(camera.position_m[2], heights_m, CROP_PLANE_M))
    return scale


def place_at_heights(
    camera: CameraModel, point_height_m: float, positions_m: FloatArray, heights_m: FloatArray
) -> FloatArray:
    """Floor positions (N, 2) m that were taken to the floor at `point_height_m`, moved to where
    people whose head tops are `heights_m` (N,) m up stand (NaN: left where they are).

    A head top's ray leaves the camera's centre: the floor under its point at
    the head top lies `ray_spread` times as far from the floor below the
    camera as the floor under its point at `point_height_m`.
    """
    x_m, y_m, above_m = camera.position_m
    heights = np.where(np.isfinite(heights_m), heights_m, point_height_m)
    nadir = np.array([x_m, y_m])
    placed: FloatArray = nadir + (positions_m - nadir) * ray_spread(above_m, point_height_m, heights)[:, None]
    return placed


class PersonHeights:
    """The height network (`models/footfall_height.onnx`) in ONNX Runtime, read on one detected frame
    in `every` (`due`).

    Readings under a lens kind whose line the model carries are undone by it (module docstring), unless
    `read_lines` is False (the network's readings as they are, to compare: `models/evaluate_height.py`).

    Raises:
        FileNotFoundError: the model file is missing (named).
        ValueError: the model does not take (N, 3, CROP_PX, CROP_PX) crops (named), a `read_line_`
            metadata key names no lens kind or its value is not two numbers with a slope in
            `_READ_SLOPES` (model and key named), or `every` < 1.
    """

    def __init__(self, model: Path, every: int = 1, threads: int = 1, read_lines: bool = True) -> None:
        if every < 1:
            raise ValueError(f"every is {every}, should be >= 1")
        self._every = every
        self._frames = 0
        if not model.is_file():
            raise FileNotFoundError(f"{model}: no such height model (models/footfall_height.onnx is shipped)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        inputs = self._session.get_inputs()
        shape = inputs[0].shape if len(inputs) == 1 else None
        if shape is None or len(shape) != 4 or list(shape[1:]) != [3, CROP_PX, CROP_PX]:
            raise ValueError(
                f"{model}: expected one input of shape (N, 3, {CROP_PX}, {CROP_PX}), got "
                f"{[i.shape for i in inputs]}"
            )
        self._input = inputs[0].name
        lines = _read_lines(model, self._session.get_modelmeta().custom_metadata_map)
        self._read_lines = lines if read_lines else {}

    def due(self) -> bool:
        """Whether to read heights on this detected frame: the first, and one in `every` after it
        (each call is one frame)."""
        self._frames += 1
        return (self._frames - 1) % self._every == 0

    def heights_m(
        self, image: npt.NDArray[np.uint8], camera: CameraModel, points_m: FloatArray, point_height_m: float
    ) -> FloatArray:
        """The height (m) of each person whose head top `camera` took to the floor at `points_m` (N, 2)
        m at `point_height_m` (a projector's points), in `image` (BGR, the size `camera` is), within
        `HEIGHT_RANGE_M`; NaN where the crop leaves the picture. The rays are followed to the crop
        plane by `ray_spread`, not through the lens again."""
        heights = np.full(len(points_m), np.nan)
        tops_m = place_at_heights(camera, point_height_m, points_m, np.full(len(points_m), CROP_PLANE_M))
        crops, inside = head_crops(image, camera, tops_m)
        if not inside.any():
            return heights
        batch = np.ascontiguousarray(crops[inside].transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
        (read,) = self._session.run(None, {self._input: batch})
        log_scale = np.ravel(read).astype(float)
        if camera.kind in self._read_lines:
            intercept, slope = self._read_lines[camera.kind]
            log_scale = (log_scale - intercept) / slope
        heights[inside] = np.clip(scale_to_height_m(camera, log_scale), *HEIGHT_RANGE_M)
        return heights


def _read_lines(model: Path, metadata: dict[str, str]) -> dict[str, tuple[float, float]]:
    """The lines `(a, b)` in `model`'s metadata (`READ_LINE_KEY` + lens kind: "a b"), per lens kind.

    Raises:
        ValueError: a key names no lens kind, a value is not two numbers, or its slope is outside
            `_READ_SLOPES` (named).
    """
    lines: dict[str, tuple[float, float]] = {}
    for key, value in metadata.items():
        if not key.startswith(READ_LINE_KEY):
            continue
        try:
            intercept, slope = (float(number) for number in value.split())
        except ValueError:
            raise ValueError(f"{model}: metadata {key} is {value!r}, expected two numbers 'a b'") from None
        if not _READ_SLOPES[0] <= slope <= _READ_SLOPES[1]:
            raise ValueError(
                f"{model}: metadata {key} has slope {slope}, expected {_READ_SLOPES[0]}-{_READ_SLOPES[1]}"
            )
        kind = key.removeprefix(READ_LINE_KEY)
        if kind not in DISTORTION_LENGTH:
            raise ValueError(
                f"{model}: metadata {key} names no lens kind, expected one of {sorted(DISTORTION_LENGTH)}"
            )
        lines[kind] = (intercept, slope)
    return lines
