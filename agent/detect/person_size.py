"""How big one person looks at each point of an overhead image, from the camera calibration.

A person is modelled as an upright cylinder `width_m` wide from the hips
(0.4 of the height) to the shoulders (0.85): what background subtraction
sees of a body from above. Its image area is the convex hull of the two end
discs projected through the camera, so the size shrinks away from the
centre of a fisheye and the body leans outwards exactly as the lens makes
it. Sizes are computed once on a coarse grid and looked up by nearest cell.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from agent.geometry.camera import CameraModel
from agent.types import FloatArray

_GRID_PX = 16  # one size per 16 x 16 pixel cell: sizes change slowly across the image
_RIM_POINTS = 12


class PersonSizeMap:
    """Expected image area (square pixels) of one person whose body is centred at an image point.

    Raises:
        ValueError: if `height_m` or `width_m` is not positive.
    """

    def __init__(self, camera: CameraModel, height_m: float = 1.7, width_m: float = 0.5) -> None:
        if not height_m > 0 or not width_m > 0:
            raise ValueError(f"person height_m {height_m} and width_m {width_m} should both be > 0 metres")
        self._grid_px = _GRID_PX
        cols = np.arange(_GRID_PX / 2, camera.width_px, _GRID_PX)
        rows = np.arange(_GRID_PX / 2, camera.height_px, _GRID_PX)
        uu, vv = np.meshgrid(cols, rows)
        centres = np.column_stack([uu.ravel(), vv.ravel()])
        floor = camera.pixels_to_floor(centres, 0.6 * height_m)
        angles = np.linspace(0, 2 * np.pi, _RIM_POINTS, endpoint=False)
        rim = (width_m / 2) * np.column_stack([np.cos(angles), np.sin(angles)])
        areas = np.full(len(centres), np.nan)
        for i, xy in enumerate(floor):
            if not np.isfinite(xy).all():
                continue
            discs = np.vstack([xy + rim, xy + rim])
            heights = np.repeat([0.4 * height_m, 0.85 * height_m], _RIM_POINTS)
            pixels = camera.floor_to_pixels(discs, heights)
            if np.isfinite(pixels).all():
                areas[i] = cv2.contourArea(cv2.convexHull(pixels.astype(np.float32)))
        self._areas = areas.reshape(len(rows), len(cols))

    def area_px(self, points_px: npt.ArrayLike) -> FloatArray:
        """Expected area (N,) in square pixels at image points (N, 2); NaN where no person fits (outside a fisheye's circle)."""
        pts = np.asarray(points_px, dtype=np.float64).reshape(-1, 2)
        h, w = self._areas.shape
        col = np.clip((pts[:, 0] // self._grid_px).astype(np.int64), 0, w - 1)
        row = np.clip((pts[:, 1] // self._grid_px).astype(np.int64), 0, h - 1)
        return np.asarray(self._areas[row, col], dtype=np.float64)


def split_points(pixels: FloatArray, parts: int, iterations: int = 10) -> FloatArray:
    """Centres (parts, 2) of `parts` clusters of blob pixels (N, 2), by k-means with a farthest-point start.

    Deterministic: the first centre is the pixel nearest the blob's centroid,
    each next one the pixel farthest from the centres so far.
    """
    if parts <= 1 or len(pixels) <= parts:
        return np.asarray(pixels.mean(axis=0, keepdims=True), dtype=np.float64)
    centroid = pixels.mean(axis=0)
    centres = [pixels[np.argmin(np.hypot(*(pixels - centroid).T))]]
    for _ in range(parts - 1):
        distance = np.min(np.linalg.norm(pixels[:, None, :] - np.array(centres)[None], axis=2), axis=1)
        centres.append(pixels[np.argmax(distance)])
    centre_array = np.array(centres, dtype=np.float64)
    for _ in range(iterations):
        nearest = np.argmin(np.linalg.norm(pixels[:, None, :] - centre_array[None], axis=2), axis=1)
        for k in range(parts):
            members = pixels[nearest == k]
            if len(members):
                centre_array[k] = members.mean(axis=0)
    return centre_array
