"""The interface every detector implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from agent.types import Detections, Frame, PixelBox


class Detector(Protocol):
    """Finds people in one frame."""

    def detect(self, frame: Frame) -> Detections:
        """People in `frame`: image points in pixels, scores in [0, 1] and, for box detectors, boxes."""
        ...


@runtime_checkable
class RegionDetector(Protocol):
    """A detector that can search part of a frame, when `searches_regions` is True."""

    searches_regions: bool

    def detect(self, frame: Frame, region_px: PixelBox | None = None) -> Detections:
        """People in `frame`, only inside `region_px` (x0, y0, x1, y1 pixels) when given."""
        ...
