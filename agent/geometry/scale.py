"""Pixels to floor metres for a straight-down camera known only by its ground scale."""

from __future__ import annotations

import numpy as np

from agent.types import Detections, FloorPoints


class ScaleProjector:
    """floor = (pixel - origin_px) * metres_per_pixel, for a camera looking straight down.

    The simplest calibration: no lens model and no height correction, good
    enough for a narrow lens over a doorway. Lens-and-pose calibration
    (`footfall calibrate`) replaces it where the image is wide.

    Raises:
        ValueError: `metres_per_pixel` is not > 0.
    """

    def __init__(self, metres_per_pixel: float, origin_px: tuple[float, float] = (0.0, 0.0)) -> None:
        if not metres_per_pixel > 0:
            raise ValueError(f"metres_per_pixel is {metres_per_pixel}, should be > 0")
        self._scale = metres_per_pixel
        self._origin = np.asarray(origin_px, dtype=float)

    def project(self, detections: Detections) -> FloorPoints:
        """Detections in pixels -> the same people in floor metres."""
        points_m = (detections.points_px - self._origin) * self._scale
        return FloorPoints(detections.t_s, points_m, detections.scores)
