"""Heatmap peaks and non-maximum suppression, on hand-made arrays."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from agent.detect.centrepoint import decode_centrepoint
from agent.detect.letterbox import InputFit
from agent.detect.nms import non_max_suppression


def _heat(*cells: tuple[int, int, float]) -> np.ndarray:
    heat = np.zeros((6, 8), np.float32)
    for row, col, value in cells:
        heat[row, col] = value
    return heat


@pytest.mark.parametrize(
    ("name", "heat", "threshold", "max_detections", "expected"),
    [
        ("two separate peaks", _heat((1, 1, 0.9), (4, 6, 0.7)), 0.5, 10, [(1.5, 1.5), (6.5, 4.5)]),
        ("below threshold", _heat((1, 1, 0.3)), 0.5, 10, []),
        ("a shoulder is not a peak", _heat((1, 1, 0.9), (1, 2, 0.8)), 0.5, 10, [(1.5, 1.5)]),
        ("an INT8 plateau is one head", _heat((2, 2, 0.8), (2, 3, 0.8)), 0.5, 10, [(2.5, 2.5)]),
        (
            "peaks two cells apart are two heads",
            _heat((2, 2, 0.8), (2, 4, 0.8)),
            0.5,
            10,
            [(2.5, 2.5), (4.5, 2.5)],
        ),
        (
            "best first, capped",
            _heat((0, 0, 0.6), (5, 7, 0.9), (3, 3, 0.7)),
            0.5,
            2,
            [(7.5, 5.5), (3.5, 3.5)],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_heatmap_peaks(name, heat, threshold, max_detections, expected):
    points, scores = decode_centrepoint(heat, None, 1.0, threshold, max_detections)
    np.testing.assert_allclose(points, np.array(expected).reshape(-1, 2))
    assert list(scores) == sorted(scores, reverse=True)


def test_offsets_and_stride_place_the_point():
    offset = np.zeros((1, 2, 6, 8), np.float32)
    offset[0, :, 4, 6] = (0.1, 0.9)
    points, _ = decode_centrepoint(_heat((4, 6, 0.9))[None, None], offset, 4.0, 0.5, 10)
    np.testing.assert_allclose(points, [(6.1 * 4, 4.9 * 4)], rtol=1e-6)


@pytest.mark.parametrize(
    ("boxes", "scores", "iou", "expected"),
    [
        ([(0, 0, 10, 10), (1, 0, 11, 10), (20, 20, 30, 30)], [0.9, 0.8, 0.7], 0.5, [0, 2]),
        ([(0, 0, 10, 10), (1, 0, 11, 10)], [0.8, 0.9], 0.5, [1]),
        ([(0, 0, 10, 10), (5, 0, 15, 10)], [0.9, 0.8], 0.5, [0, 1]),  # IoU 1/3: two people
        ([], [], 0.5, []),
    ],
)
def test_non_max_suppression(boxes, scores, iou, expected):
    keep = non_max_suppression(np.array(boxes, float).reshape(-1, 4), np.array(scores, float), iou, 100)
    assert keep.tolist() == expected


def test_non_max_suppression_rejects_bad_threshold():
    with pytest.raises(ValueError, match="iou_threshold is 0"):
        non_max_suppression(np.zeros((1, 4)), np.ones(1), 0.0, 10)


@pytest.mark.parametrize(
    ("frame", "mode", "fit"),
    [
        ((640, 480), "letterbox", (0.4, 0.4, 0.0, 0.0)),  # same aspect as 256 x 192: no padding
        ((1280, 720), "letterbox", (0.2, 0.2, 0.0, 24.0)),
        ((1280, 720), "stretch", (0.2, 192 / 720, 0.0, 0.0)),
    ],
)
def test_input_fit(frame, mode, fit):
    computed = InputFit.compute(frame, (256, 192), mode)
    assert (computed.scale_x, computed.scale_y, computed.pad_x_px, computed.pad_y_px) == pytest.approx(fit)
    image = np.zeros((frame[1], frame[0], 3), np.uint8)
    assert computed.apply(image).shape == (192, 256, 3)
    back = computed.points_to_frame(np.array([[128.0, 96.0]]))  # the input's middle (corner-based)
    np.testing.assert_allclose(back, [(frame[0] / 2 - 0.5, frame[1] / 2 - 0.5)])  # the frame's (centre-based)


@pytest.mark.parametrize("frame", [(480, 360), (640, 480), (800, 600), (1280, 720)])
def test_a_spot_maps_back_to_where_it_was_drawn(frame):
    """A spot drawn at a sub-pixel frame position (OpenCV's pixel centres), found in the fitted input
    as model outputs count (from the input's corner), maps back to the drawn position."""
    fit = InputFit.compute(frame, (320, 240), "letterbox")
    image = np.zeros((frame[1], frame[0], 3), np.uint8)
    drawn = (frame[0] * 0.37 + 0.3, frame[1] * 0.61 + 0.7)
    cv2.circle(
        image, (round(drawn[0] * 16), round(drawn[1] * 16)), 12 * 16, (255, 255, 255), -1, cv2.LINE_AA, 4
    )
    weights = fit.apply(image)[:, :, 0].astype(np.float64)
    x0, y0 = int(fit.pad_x_px), int(fit.pad_y_px)  # the padding is grey, not spot
    weights[:y0], weights[weights.shape[0] - y0 :], weights[:, :x0], weights[:, weights.shape[1] - x0 :] = (
        0,
        0,
        0,
        0,
    )
    rows, cols = np.mgrid[0 : weights.shape[0], 0 : weights.shape[1]]
    found = [((cols + 0.5) * weights).sum() / weights.sum(), ((rows + 0.5) * weights).sum() / weights.sum()]
    np.testing.assert_allclose(fit.points_to_frame(np.array([found]))[0], drawn, atol=0.05)
