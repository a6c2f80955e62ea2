"""Decoding YOLO exports: YOLOv5's (1, N, 5 + C) rows and YOLOv8/YOLO11's (1, 4 + C, N) columns.

Both give boxes as centre x, centre y, width, height in model-input pixels.
YOLOv5 has an objectness score before the class scores (a person's score is
objectness times the person class score); YOLOv8 and YOLO11 have class
scores only. Only the person class is kept, then boxes are thinned by NMS.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from agent.detect.nms import non_max_suppression
from agent.types import FloatArray


def _keep_people(
    rows: FloatArray, scores: FloatArray, score_threshold: float, iou_threshold: float, max_detections: int
) -> tuple[FloatArray, FloatArray]:
    confident = scores >= score_threshold
    rows, scores = rows[confident], scores[confident]
    cx, cy, w, h = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    boxes = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    keep = non_max_suppression(boxes, scores, iou_threshold, max_detections)
    return boxes[keep].reshape(-1, 4), np.clip(scores[keep], 0.0, 1.0)


def decode_yolov5(
    output: npt.NDArray[np.floating],
    person_class: int,
    score_threshold: float,
    iou_threshold: float,
    max_detections: int,
) -> tuple[FloatArray, FloatArray]:
    """Person boxes (N, 4) x0, y0, x1, y1 in input pixels and scores (N,) from a (1, N, 5 + C) output."""
    rows = np.asarray(output, dtype=np.float64).reshape(output.shape[-2], output.shape[-1])
    scores = rows[:, 4] * rows[:, 5 + person_class]
    return _keep_people(rows, scores, score_threshold, iou_threshold, max_detections)


def decode_yolov8(
    output: npt.NDArray[np.floating],
    person_class: int,
    score_threshold: float,
    iou_threshold: float,
    max_detections: int,
    *,
    transposed: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Person boxes (N, 4) and scores (N,) from a (1, 4 + C, N) output, or (1, N, 4 + C) when `transposed`."""
    table = np.asarray(output, dtype=np.float64).reshape(output.shape[-2], output.shape[-1])
    rows = table if transposed else table.T
    scores = rows[:, 4 + person_class]
    return _keep_people(rows, scores, score_threshold, iou_threshold, max_detections)
