"""People on depth frames: floor learning, height filter, pairs abreast."""

from __future__ import annotations

import numpy as np
import pytest

from agent.detect.tof import ToFPeopleDetector

MOUNT_MM = 2800.0


def frame_with(people: list[tuple[float, float, float]], size: int = 8, fov_deg: float = 45.0) -> np.ndarray:
    """Distances (mm) seen by a straight-down sensor over people at (x_m, y_m) of `height_m`.

    Seen from above a person is a head (radius 0.1 m, at full height) on
    shoulders (radius 0.25 m, 0.25 m lower).
    """
    step = np.radians(fov_deg) / size
    angles = (np.arange(size) + 0.5 - size / 2) * step
    ax, ay = np.meshgrid(angles, -angles)
    secant = 1 / np.cos(np.hypot(ax, ay))
    distances = np.full((size, size), MOUNT_MM) * secant
    for x, y, height in people:
        for radius_m, top_m in ((0.25, height - 0.25), (0.1, height)):
            below_mm = MOUNT_MM - top_m * 1000  # sensor to this part's top
            hx, hy = np.tan(ax) * below_mm / 1000, np.tan(ay) * below_mm / 1000
            inside = np.hypot(hx - x, hy - y) < radius_m
            distances = np.where(inside, below_mm * secant, distances)
    return np.round(distances).astype(np.uint16)


def learnt(detector: ToFPeopleDetector, frames: int = 15) -> ToFPeopleDetector:
    for i in range(frames):
        assert len(detector.detect(i * 0.07, frame_with([]))) == 0
    return detector


def test_floor_is_learnt_then_a_person_is_found_where_they_stand() -> None:
    detector = learnt(ToFPeopleDetector())
    assert detector.floor_mm is not None
    assert detector.floor_mm[3, 3] == pytest.approx(
        MOUNT_MM / np.cos(np.radians(45 / 16) * np.sqrt(2)), abs=2
    )
    points = detector.detect(2.0, frame_with([(0.1, -0.05, 1.75)]))
    assert len(points) == 1
    assert np.hypot(*(points.points_m[0] - [0.1, -0.05])) < 0.12


@pytest.mark.parametrize("height_m,expected", [(0.9, 0), (1.1, 1), (1.9, 1)])
def test_height_filter(height_m: float, expected: int) -> None:
    detector = learnt(ToFPeopleDetector(min_height_m=1.0))
    # At a zone centre: a small head between zone centres is a sampling question, not a height one.
    assert len(detector.detect(2.0, frame_with([(0.09, 0.09, height_m)]))) == expected


def test_two_people_abreast_are_two_detections() -> None:
    detector = learnt(ToFPeopleDetector())
    points = detector.detect(2.0, frame_with([(-0.25, 0.0, 1.7), (0.25, 0.0, 1.8)]))
    assert len(points) == 2
    assert sorted(np.round(points.points_m[:, 0], 1)) == pytest.approx([-0.2, 0.2], abs=0.11)


def test_invalid_zones_are_ignored_and_floor_follows_slow_change() -> None:
    detector = learnt(ToFPeopleDetector())
    blank = frame_with([])
    blank[0, :] = 0  # dropouts
    assert len(detector.detect(2.0, blank)) == 0
    assert detector.floor_mm is not None
    before = detector.floor_mm.copy()
    raised = (frame_with([]).astype(float) - 100).astype(np.uint16)  # a mat put on the floor
    for i in range(300):
        detector.detect(3.0 + i * 0.07, raised)
    assert np.all(detector.floor_mm < before - 90)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"fov_deg": 5}, "fov_deg is 5"),
        ({"min_height_m": 3.0}, "min_height_m is 3.0"),
        ({"learn_frames": 0}, "learn_frames is 0"),
    ],
)
def test_bad_arguments_are_named(kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ToFPeopleDetector(**kwargs)
