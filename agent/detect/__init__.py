"""Detectors, chosen by the config's `detector.type`, and the motion gate in front of them."""

from __future__ import annotations

from agent.detect.background import BackgroundSubtractionDetector
from agent.detect.base import Detector
from agent.detect.config import BackgroundDetectorConfig, DetectorConfig, OnnxDetectorConfig
from agent.detect.errors import ModelError
from agent.detect.motion import GatedDetector, MotionGate
from agent.detect.onnx_detector import OnnxDetector
from agent.geometry.projector import CameraProjector, FloorProjector


def build_detector(config: DetectorConfig, projector: FloorProjector | None = None) -> Detector:
    """The detector the config names.

    `projector` (optional), the calibration: the ONNX detector drops a weak
    detection right beside a strong one on the floor (`same_person_m`), and
    a camera calibration lets the background detector split blobs by the
    expected size of a person at each point of the image.

    Raises:
        ModelError: an ONNX model file is missing or unusable (names the file).
    """
    if isinstance(config, OnnxDetectorConfig):
        return OnnxDetector(config, projector)
    camera = projector.camera if isinstance(projector, CameraProjector) else None
    return BackgroundSubtractionDetector(config, camera)


def build_motion_gate(config: DetectorConfig) -> MotionGate | None:
    """The motion gate for this detector, or None where there is none.

    The background detector must see every frame to keep its background
    model current, so it is never gated.
    """
    if isinstance(config, OnnxDetectorConfig) and config.motion_gate.enabled:
        return MotionGate(config.motion_gate)
    return None


__all__ = [
    "BackgroundDetectorConfig",
    "BackgroundSubtractionDetector",
    "Detector",
    "GatedDetector",
    "ModelError",
    "MotionGate",
    "OnnxDetector",
    "OnnxDetectorConfig",
    "build_detector",
    "build_motion_gate",
]
