"""The calibration stage: detections in pixels to floor points in metres."""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np
import numpy.typing as npt

from agent.geometry.calibration_file import load_calibration
from agent.geometry.camera import CameraModel
from agent.geometry.config import CalibrationConfig
from agent.geometry.errors import CalibrationError
from agent.geometry.scale import ScaleProjector
from agent.types import Detections, FloorPoints

log = logging.getLogger(__name__)


class FloorProjector(Protocol):
    """Moves detections from the image onto the floor."""

    def project(self, detections: Detections) -> FloorPoints:
        """The same people, in floor metres."""
        ...

    def floor_m(self, points_px: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Image points (N, 2) -> floor points (N, 2) metres, row for row; NaN where a ray misses the floor."""
        ...


class CameraProjector:
    """Projects detection points through a calibrated `CameraModel` at a fixed height.

    `point_height_m` is the height of the detected point above the floor: 0
    for a foot point, about 1.6 for the top of a head seen from a ceiling
    camera. Points whose ray misses the floor plane (above the horizon,
    outside a fisheye's circle) are dropped and counted in `dropped`.
    """

    def __init__(self, camera: CameraModel, point_height_m: float, *, calibration_name: str = "") -> None:
        if not 0 <= point_height_m < 3.0:
            raise ValueError(f"point_height_m is {point_height_m}, should be in [0, 3) m")
        self._camera = camera
        self._height_m = point_height_m
        self._calibration_name = calibration_name or "calibration"
        self.dropped = 0

    def for_image(self, width_px: int, height_px: int) -> CameraProjector:
        """This projector for frames of `width_px` x `height_px` pixels (itself if the size is the calibrated one).

        Pixels only mean a direction at the size the lens was calibrated at:
        a 480 x 360 frame read with a 640 x 480 calibration puts everyone
        0.5 m or more from where they stand. A scaled image of the same aspect
        ratio gets the scaled calibration (logged once, as it is worth
        knowing); any other size is refused.

        Raises:
            CalibrationError: the frames' aspect ratio differs from the calibration's
                (names the calibration and both sizes).
        """
        try:
            camera = self._camera.resized(width_px, height_px)
        except ValueError as error:
            raise CalibrationError(f"{self._calibration_name}: {error}") from None
        if camera is self._camera:
            return self
        log.warning(
            "%s: calibrated at %dx%d px, frames are %dx%d px: calibration scaled to the frames",
            self._calibration_name,
            self._camera.width_px,
            self._camera.height_px,
            width_px,
            height_px,
        )
        projector = CameraProjector(camera, self._height_m, calibration_name=self._calibration_name)
        projector.dropped = self.dropped
        return projector

    @property
    def point_height_m(self) -> float:
        """The height (m) detected points are taken to the floor at."""
        return self._height_m

    @property
    def camera(self) -> CameraModel:
        """The calibrated camera the projector uses."""
        return self._camera

    def sees(self, points_m: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Which floor positions (N, 2) m are in the picture at the point height (a person standing there is seen).

        The same floor whatever the frame size: a resized camera sees what the calibrated one saw.
        """
        pixels = self._camera.floor_to_pixels(points_m, self._height_m)
        return np.asarray(self._camera.in_image(pixels), dtype=bool)

    def floor_m(self, points_px: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Image points (N, 2) -> floor points (N, 2) metres at the point height; NaN where a ray misses."""
        return np.asarray(self._camera.pixels_to_floor(points_px, self._height_m), dtype=np.float64)

    def project(self, detections: Detections) -> FloorPoints:
        """Detections in pixels -> floor metres; rays that miss the floor are dropped."""
        if not len(detections):
            return FloorPoints(detections.t_s, np.zeros((0, 2)), np.zeros(0))
        points_m = self.floor_m(detections.points_px)
        hit = np.all(np.isfinite(points_m), axis=1)
        if not hit.all():
            self.dropped += int((~hit).sum())
            log.debug("%d detection(s) dropped: their rays miss the floor", int((~hit).sum()))
        appearance = None if detections.appearance is None else detections.appearance[hit]
        return FloorPoints(detections.t_s, points_m[hit], detections.scores[hit], appearance)


def build_projector(config: CalibrationConfig) -> FloorProjector:
    """The projector the config's `calibration.type` names.

    Raises:
        CalibrationError: the calibration file is missing or malformed (names file and key).
    """
    if config.type == "scale":
        return ScaleProjector(config.metres_per_pixel, config.origin_px)
    return CameraProjector(
        load_calibration(config.path), config.point_height_m, calibration_name=str(config.path)
    )
