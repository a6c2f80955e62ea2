"""Moving people by background subtraction: OpenCV MOG2, morphology and contours.

Cheap and model-free, so it runs on any device and needs no training; it
finds anything that moves and is the size of a person, and loses people who
stand still long enough to become background (the ONNX detector does not).
Given the camera model, a blob bigger than one person at its place in the
image (people walking abreast merge into one blob from above) is split into
as many people as its area holds (`PersonSizeMap`).
"""

from __future__ import annotations

import cv2
import numpy as np

from agent.detect.config import BackgroundDetectorConfig
from agent.detect.person_size import PersonSizeMap, split_points
from agent.geometry.camera import CameraModel
from agent.types import Detections, Frame

# MOG2 marks shadows as 127 and foreground as 255; only true foreground counts.
_FOREGROUND_LEVEL = 200
_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
# A blob is split only from 1.6 people's area up (a person with a bag or a
# trolley makes a blob up to ~1.5 times their own), and into at most 8 parts.
_SPLIT_FROM = 1.6
_MAX_PARTS = 8
_MAX_SAMPLES = 600  # blob pixels fed to k-means: enough for stable centres, cheap


class BackgroundSubtractionDetector:
    """One detection per person-sized moving blob, at the blob's centroid (or per part of a split blob).

    The score is how solid the blob is (its area over its convex hull's area),
    a rough confidence that it is one body rather than noise.
    """

    def __init__(self, config: BackgroundDetectorConfig, camera: CameraModel | None = None) -> None:
        self._config = config
        self._subtractor = cv2.createBackgroundSubtractorMOG2(
            history=config.history_frames, varThreshold=config.var_threshold, detectShadows=True
        )
        self._frames_seen = 0
        self._sizes = (
            PersonSizeMap(camera, config.person_height_m, config.person_width_m)
            if camera is not None and config.split_blobs
            else None
        )

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
        points: list[tuple[float, float]] = []
        scores: list[float] = []
        for contour in contours:
            area = cv2.contourArea(contour)
            if not self._config.min_area_px <= area <= self._config.max_area_px:
                continue
            moments = cv2.moments(contour)
            centroid = (moments["m10"] / moments["m00"], moments["m01"] / moments["m00"])
            hull_area = cv2.contourArea(cv2.convexHull(contour))
            score = min(1.0, area / hull_area) if hull_area > 0 else 0.0
            for point in self._people_in_blob(contour, area, centroid):
                points.append(point)
                scores.append(score)
        return Detections(frame.meta.t_s, np.array(points).reshape(-1, 2), np.array(scores))

    def _people_in_blob(
        self, contour: np.ndarray, area: float, centroid: tuple[float, float]
    ) -> list[tuple[float, float]]:
        """The blob's centroid, or the centres of its parts when it holds several people's area."""
        if self._sizes is None:
            return [centroid]
        expected = float(self._sizes.area_px([centroid])[0])
        if not np.isfinite(expected) or expected <= 0 or area < _SPLIT_FROM * expected:
            return [centroid]
        parts = min(_MAX_PARTS, round(area / expected))
        x, y, w, h = cv2.boundingRect(contour)
        blob = np.zeros((h, w), np.uint8)
        cv2.drawContours(blob, [contour - np.array([x, y])], -1, 255, thickness=cv2.FILLED)
        rows, cols = np.nonzero(blob)
        step = max(1, len(rows) // _MAX_SAMPLES)
        pixels = np.column_stack([cols[::step] + x, rows[::step] + y]).astype(np.float64)
        return [(float(u), float(v)) for u, v in split_points(pixels, parts)]
