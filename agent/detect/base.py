"""The interface every detector implements."""

from __future__ import annotations

from typing import Protocol

from agent.types import Detections, Frame


class Detector(Protocol):
    """Finds people in one frame."""

    def detect(self, frame: Frame) -> Detections:
        """People in `frame`: image points in pixels, scores in [0, 1] and, for box detectors, boxes."""
        ...
