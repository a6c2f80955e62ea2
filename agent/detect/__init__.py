"""Detectors, chosen by the config's `detector.type`."""

from __future__ import annotations

from agent.detect.background import BackgroundSubtractionDetector
from agent.detect.base import Detector
from agent.detect.config import DetectorConfig


def build_detector(config: DetectorConfig) -> Detector:
    """The detector the config names."""
    return BackgroundSubtractionDetector(config)


__all__ = ["BackgroundSubtractionDetector", "Detector", "build_detector"]
