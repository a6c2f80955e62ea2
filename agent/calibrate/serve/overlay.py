"""Floor shapes (metres) as pixel polylines, and the floor the camera sees.

The page draws over the live image what the server computes here: the floor
grid after a calibration, counting lines with their "in" arrow, zones and
track tails. Every shape is densified on the floor before projection so a
distorting lens bends it as it bends the floor, and is split where it leaves
the image or passes behind the camera.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt

from agent.analytics.config import LineConfig
from agent.geometry.camera import CameraModel

PixelRun = list[tuple[float, float]]
FloorXY = tuple[float, float]

# Shapes are sampled this often along the floor before projection, metres.
_STEP_M = 0.1
# Pixels this far outside the image are still drawn (the browser clips them),
# so a line ending just off-screen does not stop short of the edge.
_MARGIN_PX = 40.0
# The plan and the grid never reach farther than this from the camera, metres:
# a tilted camera sees the floor up to the horizon.
MAX_RANGE_M = 15.0
_BORDER_SAMPLES = 24
# Grid lines are long and many: sampled more coarsely (still bends with a fisheye).
_GRID_STEP_M = 0.25


def _in_front(
    camera: CameraModel, points_m: npt.NDArray[np.float64], height_m: float
) -> npt.NDArray[np.bool_]:
    world = np.column_stack([points_m, np.full(len(points_m), height_m)])
    depth = ((world - camera.pose.position) @ camera.pose.rotation_matrix.T)[:, 2]
    return np.asarray(depth > 1e-3)


def densify(
    points_m: list[FloorXY], closed: bool = False, step_m: float = _STEP_M
) -> npt.NDArray[np.float64]:
    """Points every ``step_m`` metres along a polyline (closed: back to the first point), shape (N, 2)."""
    corners = np.asarray(points_m, dtype=np.float64).reshape(-1, 2)
    if closed and len(corners) > 2:
        corners = np.vstack([corners, corners[:1]])
    pieces = [corners[:1]]
    for start, end in itertools.pairwise(corners):
        count = max(1, math.ceil(float(np.hypot(*(end - start))) / step_m))
        fractions = np.linspace(0.0, 1.0, count + 1)[1:, None]
        pieces.append(start + fractions * (end - start))
    return np.vstack(pieces)


def floor_to_runs(
    camera: CameraModel, points_m: npt.ArrayLike, height_m: float = 0.0, margin_px: float = _MARGIN_PX
) -> list[PixelRun]:
    """Floor points (N, 2) at ``height_m`` as pixel runs: consecutive points visible in the image.

    A point is visible when it is in front of the camera, projects to a
    finite pixel, and lies within ``margin_px`` of the image.
    """
    points = np.asarray(points_m, dtype=np.float64).reshape(-1, 2)
    if not len(points):
        return []
    pixels = camera.floor_to_pixels(points, height_m)
    with np.errstate(invalid="ignore"):
        visible = (
            _in_front(camera, points, height_m)
            & np.isfinite(pixels).all(axis=1)
            & (pixels[:, 0] >= -margin_px)
            & (pixels[:, 0] <= camera.width_px + margin_px)
            & (pixels[:, 1] >= -margin_px)
            & (pixels[:, 1] <= camera.height_px + margin_px)
        )
    runs: list[PixelRun] = []
    current: PixelRun = []
    for pixel, seen in zip(pixels, visible, strict=True):
        if seen:
            current.append((round(float(pixel[0]), 1), round(float(pixel[1]), 1)))
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [run for run in runs if len(run) >= 2]


def shape_runs(
    camera: CameraModel, corners_m: list[FloorXY], closed: bool = False, step_m: float = _STEP_M
) -> list[PixelRun]:
    """A floor polyline or polygon (metres, on the floor) as pixel runs, sampled every ``step_m``."""
    return floor_to_runs(camera, densify(corners_m, closed, step_m))


def line_arrow_m(line: LineConfig, length_m: float = 0.5) -> tuple[FloorXY, FloorXY]:
    """The "in" arrow of a counting line: from its midpoint, ``length_m`` towards the in side (metres)."""
    (sx, sy), (ex, ey) = line.start, line.end
    dx, dy = ex - sx, ey - sy
    norm = math.hypot(dx, dy)
    left = (-dy / norm, dx / norm)
    sign = 1.0 if line.in_side == "left" else -1.0
    mid = ((sx + ex) / 2.0, (sy + ey) / 2.0)
    return mid, (mid[0] + sign * left[0] * length_m, mid[1] + sign * left[1] * length_m)


def footprint_m(camera: CameraModel, max_range_m: float = MAX_RANGE_M) -> list[FloorXY]:
    """The floor the image covers, as a polygon of border pixels projected to the floor (metres).

    Border pixels whose rays miss the floor, or land farther than
    ``max_range_m`` from the camera, are pulled back to that range along
    their direction, so a tilted camera's footprint stays a bounded shape.
    """
    w, h = camera.width_px - 1.0, camera.height_px - 1.0
    ticks = np.linspace(0.0, 1.0, _BORDER_SAMPLES, endpoint=False)
    border = np.vstack(
        [
            np.column_stack([ticks * w, np.zeros_like(ticks)]),
            np.column_stack([np.full_like(ticks, w), ticks * h]),
            np.column_stack([(1 - ticks) * w, np.full_like(ticks, h)]),
            np.column_stack([np.zeros_like(ticks), (1 - ticks) * h]),
        ]
    )
    floor = camera.pixels_to_floor(border)
    centre = np.asarray(camera.position_m[:2], dtype=np.float64)
    corners: list[FloorXY] = []
    for point in floor:
        if not np.isfinite(point).all():
            continue
        offset = point - centre
        distance = float(np.hypot(*offset))
        if distance > max_range_m:
            point = centre + offset * (max_range_m / distance)
        corners.append((round(float(point[0]), 3), round(float(point[1]), 3)))
    return corners


def grid_bounds_m(camera: CameraModel) -> tuple[float, float, float, float]:
    """(x_min, y_min, x_max, y_max) of the footprint, widened to whole metres."""
    corners = footprint_m(camera) or [tuple(camera.position_m[:2])]  # type: ignore[list-item]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return (math.floor(min(xs)), math.floor(min(ys)), math.ceil(max(xs)), math.ceil(max(ys)))


def grid_runs(camera: CameraModel, spacing_m: float = 0.5) -> list[PixelRun]:
    """A floor grid every ``spacing_m`` metres over the footprint, as pixel runs (on the floor, z = 0)."""
    x0, y0, x1, y1 = grid_bounds_m(camera)
    runs: list[PixelRun] = []
    for x in np.arange(x0, x1 + spacing_m / 2, spacing_m):
        runs += shape_runs(camera, [(float(x), y0), (float(x), y1)], step_m=_GRID_STEP_M)
    for y in np.arange(y0, y1 + spacing_m / 2, spacing_m):
        runs += shape_runs(camera, [(x0, float(y)), (x1, float(y))], step_m=_GRID_STEP_M)
    return runs
