"""Moving people by background subtraction: OpenCV MOG2, morphology and contours.

Cheap and model-free, so it runs on any device and needs no training; it
finds anything that moves and is the size of a person, and loses people who
stand still long enough to become background (the ONNX detector does not).
"""

from __future__ import annotations

import cv2
import numpy as np

from agent.detect.config import BackgroundDetectorConfig
from agent.types import Detections, Frame

# MOG2 marks shadows as 127 and foreground as 255; only true foreground counts.
_FOREGROUND_LEVEL = 200
_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


class BackgroundSubtractionDetector:
    """One detection per person-sized moving blob, at the blob's centroid.

    The score is how solid the blob is (its area over its convex hull's area),
    a rough confidence that it is one body rather than noise.
    """

    def __init__(self, config: BackgroundDetectorConfig) -> None:
        self._config = config
        self._subtractor = cv2.createBackgroundSubtractorMOG2(
            history=config.history_frames, varThreshold=config.var_threshold, detectShadows=True
        )
        self._frames_seen = 0

    def detect(self, frame: Frame) -> Detections:
        """Blobs between `min_area_px` and `max_area_px`; none during the warm-up frames."""
        mask = self._subtractor.apply(frame.image)
        self._frames_seen += 1
        if self._frames_seen <= self._config.warmup_frames:
            return Detections.empty(frame.meta.t_s)
        _, mask = cv2.threshold(mask, _FOREGROUND_LEVEL, 255, cv2.THRESH_BINARY)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, _KERNEL)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, _KERNEL, iterations=2)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        points, scores = [], []
        for contour in contours:
            area = cv2.contourArea(contour)
            if not self._config.min_area_px <= area <= self._config.max_area_px:
                continue
            moments = cv2.moments(contour)
            points.append((moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]))
            hull_area = cv2.contourArea(cv2.convexHull(contour))
            scores.append(min(1.0, area / hull_area) if hull_area > 0 else 0.0)
        return Detections(frame.meta.t_s, np.array(points).reshape(-1, 2), np.array(scores))
