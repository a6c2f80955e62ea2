"""Decoding SSD-style exports: separate boxes (1, N, 4), scores (1, N), classes (1, N) and a count.

This is the TensorFlow Object Detection API / TFLite layout: boxes are
ymin, xmin, ymax, xmax (or x-first, by config), either normalised to [0, 1]
(then scaled by the input size) or in input pixels. Classes are class ids as
floats; with TensorFlow's COCO label map a person is 1. The model has done
its own NMS; only the person class and the score threshold are applied.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from agent.types import FloatArray

BoxOrder = Literal["yxyx", "xyxy"]


def decode_ssd(
    boxes: npt.NDArray[np.floating],
    scores: npt.NDArray[np.floating],
    classes: npt.NDArray[np.floating],
    count: npt.NDArray[np.floating] | None,
    input_size: tuple[int, int],
    person_class: int,
    score_threshold: float,
    max_detections: int,
    box_order: BoxOrder = "yxyx",
) -> tuple[FloatArray, FloatArray]:
    """Person boxes (N, 4) x0, y0, x1, y1 in input pixels and scores (N,), best first."""
    box = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    score = np.asarray(scores, dtype=np.float64).reshape(-1)
    label = np.rint(np.asarray(classes, dtype=np.float64).reshape(-1)).astype(np.int64)
    n = len(score) if count is None else min(len(score), int(np.asarray(count).reshape(-1)[0]))
    box, score, label = box[:n], score[:n], label[:n]
    if box_order == "yxyx":
        box = box[:, [1, 0, 3, 2]]
    if len(box) and np.abs(box).max() <= 1.5:  # normalised coordinates
        width, height = input_size
        box = box * np.array([width, height, width, height], dtype=np.float64)
    keep = (label == person_class) & (score >= score_threshold)
    box, score = box[keep], score[keep]
    order = np.argsort(-score, kind="stable")[:max_detections]
    return box[order].reshape(-1, 4), np.clip(score[order], 0.0, 1.0)
