"""Pixels to floor metres for a straight-down camera known only by its ground scale."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from agent.types import Detections, FloorPoints


class ScaleProjector:
    """A straight-down camera reduced to one ground scale, no lens model.

    The floor frame is the project's (x right, y up the image as on a map,
    z up): floor x = (u - origin_u) * metres_per_pixel and
    floor y = (origin_v - v) * metres_per_pixel, where `origin_px` is the
    pixel over floor (0, 0). Good enough for a narrow lens over a doorway;
    `footfall calibrate` gives a full lens-and-pose model where the image is wide.

    Raises:
        ValueError: `metres_per_pixel` is not > 0.
    """

    def __init__(self, metres_per_pixel: float, origin_px: tuple[float, float]) -> None:
        if not metres_per_pixel > 0:
            raise ValueError(f"metres_per_pixel is {metres_per_pixel}, should be > 0")
        self._scale = metres_per_pixel
        self._origin = np.asarray(origin_px, dtype=float)

    def floor_m(self, points_px: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Image points (N, 2) -> floor points (N, 2) metres, row for row."""
        offset = np.asarray(points_px, dtype=np.float64).reshape(-1, 2) - self._origin
        return np.column_stack([offset[:, 0], -offset[:, 1]]) * self._scale

    def project(self, detections: Detections) -> FloorPoints:
        """Detections in pixels -> the same people in floor metres."""
        return FloorPoints(
            detections.t_s, self.floor_m(detections.points_px), detections.scores, detections.appearance
        )
