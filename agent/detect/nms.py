"""Greedy non-maximum suppression over axis-aligned boxes (numpy, no framework)."""

from __future__ import annotations

import numpy as np

from agent.types import FloatArray, IntArray


def box_iou(box: FloatArray, boxes: FloatArray) -> FloatArray:
    """Intersection over union of one box (4,) with each of `boxes` (N, 4), all x0, y0, x1, y1."""
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.asarray(np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0), dtype=np.float64)


def non_max_suppression(
    boxes: FloatArray, scores: FloatArray, iou_threshold: float, max_keep: int
) -> IntArray:
    """Indices of the boxes kept, best score first: each suppresses later ones overlapping it by > `iou_threshold`.

    Raises:
        ValueError: if `iou_threshold` is not in (0, 1].
    """
    if not 0 < iou_threshold <= 1:
        raise ValueError(f"iou_threshold is {iou_threshold}, should be in (0, 1]")
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while len(order) and len(keep) < max_keep:
        best = int(order[0])
        keep.append(best)
        rest = order[1:]
        order = rest[box_iou(boxes[best], boxes[rest]) <= iou_threshold]
    return np.array(keep, dtype=np.int64)
