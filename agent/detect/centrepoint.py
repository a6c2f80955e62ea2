"""Decoding the project's own centre-point format: a head heatmap and sub-cell offsets at a stride.

The model (see models/README.md) has one input, RGB in [0, 1], and two
outputs: `heatmap` (1, 1, h, w), the probability that a head top lies in
each cell, and optionally `offset` (1, 2, h, w), where in the cell (x, y as
fractions of a cell, in [0, 1]). A cell is `stride` input pixels; the
stride is read from the model's metadata, else from the input and heatmap
sizes. A head is a local maximum of the heatmap (3 x 3 cells) at or above
the score threshold. `averaged_views` averages the maps of mirrored copies
of the picture first (`detector.views`).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt

from agent.types import FloatArray

# Metadata written into the model file by models/train.py; the detector reads
# `footfall.format` to choose this decoder without any config.
FORMAT_KEY = "footfall.format"
# The input size (WIDTHxHEIGHT pixels) a free-size model was trained at: the detector's default.
INPUT_SIZE_KEY = "footfall.input_size"
CENTREPOINT_METADATA = {FORMAT_KEY: "centrepoint", "footfall.point": "head_top", "footfall.channels": "rgb"}
_NEIGHBOURS = np.ones((3, 3), np.uint8)
# Each view of a picture: (mirrored left-right, upside down), in the order `views` takes them.
_VIEW_FLIPS = ((False, False), (True, False), (False, True), (True, True))

Outputs = list[npt.NDArray[np.floating]]
# OpenCV's flip code for (mirrored left-right, upside down).
_FLIP_CODES = {(True, False): 1, (False, True): 0, (True, True): -1}


def _mirrored(picture: npt.NDArray[np.uint8], left_right: bool, upside_down: bool) -> npt.NDArray[np.uint8]:
    """A mirrored copy of `picture` (h, w, 3), or the picture itself when neither flip is asked.

    OpenCV's flip, not NumPy's strided copy, the same pixels: under the fisheye's two views at
    576 x 432 a frame's detection (fit, views, decoding) took 1.3-3.2 ms less, 7-17 % (three runs of
    6-12 rounds of 60 `busy` frames, the two ways taking turns, one thread's CPU time, 2026-12-03).
    """
    if not (left_right or upside_down):
        return picture
    return np.asarray(cv2.flip(picture, _FLIP_CODES[(left_right, upside_down)]), dtype=np.uint8)


def averaged_views(
    run: Callable[[npt.NDArray[np.uint8]], Outputs],
    picture: npt.NDArray[np.uint8],
    views: int,
    heatmap_index: int,
    offset_index: int | None,
) -> tuple[npt.NDArray[np.floating], npt.NDArray[np.floating] | None]:
    """The heatmap (1, 1, h, w) and offsets (1, 2, h, w; x, y in fractions of a cell) of `picture`
    (h * stride, w * stride, 3), averaged over `views` mirrored copies of it, each turned back to the
    picture's own orientation.

    `run` gives a model's outputs for a picture; `heatmap_index` and `offset_index` (None: no offset
    output) say which output is which. A mirrored offset counts from the cell's other side (x -> 1 - x).
    The picture's sides must be whole cells, or a mirrored map would land shifted (the detector checks).

    Raises:
        ValueError: `views` is not 1, 2 or 4.
    """
    if views not in (1, 2, 4):
        raise ValueError(f"views is {views}, should be 1, 2 or 4")
    if views == 1:  # every frame by default: the outputs as they are, no copies
        outputs = run(picture)
        return outputs[heatmap_index], (None if offset_index is None else outputs[offset_index])
    heats: list[npt.NDArray[np.float32]] = []
    offsets: list[npt.NDArray[np.float32]] = []
    for left_right, upside_down in _VIEW_FLIPS[:views]:
        # Width and height are the last two axes of an output (1, C, h, w), one further left in the picture.
        axes = tuple(axis for axis, flip in ((-1, left_right), (-2, upside_down)) if flip)
        outputs = run(_mirrored(picture, left_right, upside_down))
        heats.append(np.flip(np.asarray(outputs[heatmap_index], dtype=np.float32), axes))
        if offset_index is not None:
            offset = np.flip(np.array(outputs[offset_index], dtype=np.float32), axes)
            if left_right:
                offset[:, 0] = 1.0 - offset[:, 0]
            if upside_down:
                offset[:, 1] = 1.0 - offset[:, 1]
            offsets.append(offset)
    heatmap = np.asarray(np.mean(heats, axis=0), dtype=np.float32)
    return heatmap, (np.asarray(np.mean(offsets, axis=0), dtype=np.float32) if offsets else None)


def decode_centrepoint(
    heatmap: npt.NDArray[np.floating],
    offset: npt.NDArray[np.floating] | None,
    stride_px: float,
    score_threshold: float,
    max_detections: int,
) -> tuple[FloatArray, FloatArray]:
    """Head points (N, 2) in model-input pixels and their scores (N,), best first.

    `heatmap` is (1, 1, h, w) or (h, w); `offset` (1, 2, h, w) or None (then
    a head sits at its cell's centre).
    """
    h, w = int(heatmap.shape[-2]), int(heatmap.shape[-1])
    heat = np.asarray(heatmap, dtype=np.float32).reshape(h, w)
    # The 3 x 3 maximum around each cell (OpenCV's dilation; outside the map counts as -inf).
    neighbourhood = cv2.dilate(heat, _NEIGHBOURS)
    # A plateau of equal values keeps only its first cell (ties are rare but INT8 makes them possible).
    peaks = (heat >= neighbourhood) & (heat >= score_threshold)
    rows, cols = np.nonzero(peaks)
    scores = heat[rows, cols].astype(np.float64)
    order = np.argsort(-scores, kind="stable")[:max_detections]
    rows, cols, scores = rows[order], cols[order], scores[order]
    if offset is None:
        dx = dy = np.full(len(rows), 0.5)
    else:
        off = np.asarray(offset).reshape(2, h, w)
        dx, dy = off[0, rows, cols].astype(np.float64), off[1, rows, cols].astype(np.float64)
    # Only peaks with another peak among their 8 neighbours (a plateau) need the ranked pass.
    touching = cv2.boxFilter(peaks.astype(np.uint8), -1, (3, 3), normalize=False)[rows, cols] > 1
    keep = _first_of_plateaus(rows, cols) if touching.any() else np.ones(len(rows), dtype=bool)
    points = np.column_stack([(cols + dx) * stride_px, (rows + dy) * stride_px])
    return points[keep].reshape(-1, 2), np.clip(scores[keep], 0.0, 1.0)


def _first_of_plateaus(rows: npt.NDArray[np.intp], cols: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
    """Drop a peak adjacent (8-neighbour) to a higher-ranked kept peak: equal neighbours are one head."""
    keep = np.ones(len(rows), dtype=bool)
    for i in range(len(rows)):
        if not keep[i]:
            continue
        later = slice(i + 1, None)
        near = (np.abs(rows[later] - rows[i]) <= 1) & (np.abs(cols[later] - cols[i]) <= 1)
        keep[later] &= ~near
    return keep
