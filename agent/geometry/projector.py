"""The calibration stage: detections in pixels to floor points in metres."""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

from agent.geometry.calibration_file import load_calibration
from agent.geometry.camera import CameraModel
from agent.geometry.config import CalibrationConfig
from agent.geometry.scale import ScaleProjector
from agent.types import Detections, FloorPoints

log = logging.getLogger(__name__)


class FloorProjector(Protocol):
    """Moves detections from the image onto the floor."""

    def project(self, detections: Detections) -> FloorPoints:
        """The same people, in floor metres."""
        ...


class CameraProjector:
    """Projects detection points through a calibrated `CameraModel` at a fixed height.

    `point_height_m` is the height of the detected point above the floor: 0
    for a foot point, about 1.6 for the top of a head seen from a ceiling
    camera. Points whose ray misses the floor plane (above the horizon,
    outside a fisheye's circle) are dropped and counted in `dropped`.
    """

    def __init__(self, camera: CameraModel, point_height_m: float) -> None:
        if not 0 <= point_height_m < 3.0:
            raise ValueError(f"point_height_m is {point_height_m}, should be in [0, 3) m")
        self._camera = camera
        self._height_m = point_height_m
        self.dropped = 0

    @property
    def camera(self) -> CameraModel:
        """The calibrated camera the projector uses."""
        return self._camera

    def project(self, detections: Detections) -> FloorPoints:
        """Detections in pixels -> floor metres; rays that miss the floor are dropped."""
        if not len(detections):
            return FloorPoints(detections.t_s, np.zeros((0, 2)), np.zeros(0))
        points_m = self._camera.pixels_to_floor(detections.points_px, self._height_m)
        hit = np.all(np.isfinite(points_m), axis=1)
        if not hit.all():
            self.dropped += int((~hit).sum())
            log.debug("%d detection(s) dropped: their rays miss the floor", int((~hit).sum()))
        return FloorPoints(detections.t_s, points_m[hit], detections.scores[hit])


def build_projector(config: CalibrationConfig) -> FloorProjector:
    """The projector the config's `calibration.type` names.

    Raises:
        CalibrationError: the calibration file is missing or malformed (names file and key).
    """
    if config.type == "scale":
        return ScaleProjector(config.metres_per_pixel, config.origin_px)
    return CameraProjector(load_calibration(config.path), config.point_height_m)
