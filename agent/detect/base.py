"""The interface every detector implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from agent.types import Detections, Frame


class Detector(Protocol):
    """Finds people in one frame."""

    def detect(self, frame: Frame) -> Detections:
        """People in `frame`: image points in pixels, scores in [0, 1] and, for box detectors, boxes."""
        ...


@runtime_checkable
class RegionDetector(Detector, Protocol):
    """A detector that can look at part of a frame only, for less CPU (the motion gate's regions)."""

    def detect_region(self, frame: Frame, region_px: tuple[float, float, float, float]) -> Detections:
        """People in `frame` around `region_px` (x0, y0, x1, y1 frame pixels); it may look at more."""
        ...
