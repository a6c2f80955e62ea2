"""The types on the arrows validate on construction with expected-vs-actual messages."""

from __future__ import annotations

import numpy as np
import pytest

from agent.types import Detections, FloorPoints, Frame, FrameMeta, LineCrossing, Tracks, ZoneSample


@pytest.mark.parametrize(
    "build,message",
    [
        (
            lambda: Detections(0.0, np.zeros((2, 3)), np.ones(2)),
            r"points_px: expected shape \(N, 2\), got \(2, 3\)",
        ),
        (lambda: Detections(0.0, np.zeros((2, 2)), np.ones(3)), "points_px=2, scores=3"),
        (lambda: Detections(0.0, np.zeros((1, 2)), np.array([1.5])), r"expected values in \[0, 1\]"),
        (
            lambda: Detections(-1.0, np.zeros((0, 2)), np.zeros(0)),
            "t_s must be a finite time >= 0 s, got -1.0",
        ),
        (lambda: FloorPoints(0.0, np.array([[np.nan, 0.0]]), np.ones(1)), "expected finite values"),
        (lambda: Tracks(0.0, np.array([1, 1]), np.zeros((2, 2))), r"expected unique ids, got \[1, 1\]"),
        (
            lambda: Tracks(0.0, np.array([1, 2]), np.zeros((2, 2)), detected_m=np.zeros((1, 2))),
            "ids=2, detected_m=1",
        ),
        (
            lambda: Tracks(0.0, np.array([1, 2]), np.zeros((2, 2)), born_m=np.zeros((3, 2))),
            "ids=2, born_m=3",
        ),
        (
            lambda: Tracks(0.0, np.array([1, 2]), np.zeros((2, 2)), came_into_view=np.ones(1, bool)),
            "ids=2, came_into_view=1",
        ),
        (
            lambda: Tracks(0.0, np.array([1, 2]), np.zeros((2, 2)), missed=np.ones(3, bool)),
            "ids=2, missed=3",
        ),
        (lambda: LineCrossing("door", "up", 0.0), "expected 'in' or 'out', got 'up'"),  # type: ignore[arg-type]
        (lambda: ZoneSample("z", -1, 0.0), "expected >= 0, got -1"),
        (lambda: FrameMeta(0, 0.0, 0, 10), "size must be positive, got 0x10 px"),
        (
            lambda: Frame(FrameMeta(0, 0.0, 4, 3), np.zeros((4, 3, 3))),
            r"image shape \(4, 3, 3\) does not match",
        ),
    ],
)
def test_invalid_values_are_refused_with_expected_and_actual(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_arrays_are_read_only_copies() -> None:
    source = np.zeros((1, 2))
    detections = Detections(0.0, source, np.ones(1))
    source[0, 0] = 5.0
    assert detections.points_px[0, 0] == 0.0
    with pytest.raises(ValueError):
        detections.points_px[0, 0] = 1.0
