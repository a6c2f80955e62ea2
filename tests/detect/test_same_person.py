"""One person, one detection: a weak detection beside a much stronger one on the floor is dropped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.detect import OnnxDetector, OnnxDetectorConfig, build_detector
from agent.detect.same_person import same_person_kept
from agent.geometry.scale import ScaleProjector
from agent.types import Frame, FrameMeta
from tests.detect.tiny_models import build_model

WITHIN_M, RATIO = 0.3, 0.6


def test_a_weak_detection_beside_a_strong_one_goes():
    points_m = np.array([[0.0, 0.0], [0.2, 0.0], [1.0, 0.0]])
    kept = same_person_kept(points_m, np.array([0.9, 0.45, 0.41]), WITHIN_M, RATIO)
    assert kept.tolist() == [True, False, True], "the far weak one is someone else"


def test_two_people_close_together_who_score_alike_both_stay():
    points_m = np.array([[0.0, 0.0], [0.25, 0.0]])
    assert same_person_kept(points_m, np.array([0.9, 0.6]), WITHIN_M, RATIO).all()


def test_the_rule_does_not_depend_on_order_and_ignores_rays_that_missed_the_floor():
    points_m = np.array([[0.2, 0.0], [np.nan, np.nan], [0.0, 0.0]])
    scores = np.array([0.45, 0.95, 0.9])
    kept = same_person_kept(points_m, scores, WITHIN_M, RATIO)
    assert kept.tolist() == [False, True, True]
    reverse = same_person_kept(points_m[::-1], scores[::-1], WITHIN_M, RATIO)
    assert reverse.tolist() == kept[::-1].tolist()


def test_off_at_zero_distance():
    points_m = np.array([[0.0, 0.0], [0.01, 0.0]])
    assert same_person_kept(points_m, np.array([0.9, 0.1]), 0.0, RATIO).all()
    assert same_person_kept(points_m, np.array([0.9, 0.1]), 0.0, RATIO, same_head_m=0.0).all()


def test_two_peaks_closer_than_a_head_are_one_head_whatever_they_score():
    """Two like peaks 0.15 m apart (one large head seen from close by) keep the stronger; at 0.25 m
    they are two people, who score alike."""
    scores = np.array([0.7, 0.75, 0.6])
    points_m = np.array([[0.0, 0.0], [0.15, 0.0], [0.4, 0.0]])
    assert same_person_kept(points_m, scores, WITHIN_M, RATIO).all(), "alike scores pass the ratio rule"
    kept = same_person_kept(points_m, scores, WITHIN_M, RATIO, same_head_m=0.2)
    assert kept.tolist() == [False, True, True]
    reverse = same_person_kept(points_m[::-1], scores[::-1], WITHIN_M, RATIO, same_head_m=0.2)
    assert reverse.tolist() == kept[::-1].tolist()


def test_of_two_peaks_on_one_head_that_score_the_same_the_first_stays():
    points_m = np.array([[0.0, 0.0], [0.1, 0.0], [np.nan, np.nan]])
    kept = same_person_kept(points_m, np.array([0.8, 0.8, 0.8]), WITHIN_M, RATIO, same_head_m=0.2)
    assert kept.tolist() == [True, False, True]


def _two_peaks_model(path: Path, second_score: float = 0.45) -> Path:
    """A centre-point model whose heatmap has a head (0.9) and, two cells away, a second peak."""
    heat = np.zeros((1, 1, 8, 8), np.float32)
    heat[0, 0, 2, 2] = 0.9
    heat[0, 0, 2, 4] = second_score
    return build_model(path, {"heatmap": heat}, metadata={"footfall.format": "centrepoint", "stride": "4"})


@pytest.mark.parametrize(
    ("metres_per_pixel", "weak_score", "expected"),
    [(0.01, 0.45, 1), (0.05, 0.45, 2), (0.01, 0.8, 1), (0.015, 0.8, 2)],
)
def test_the_detector_drops_the_weak_peak_only_when_it_is_near_on_the_floor(
    tmp_path, metres_per_pixel, weak_score, expected
):
    """The peaks are 16 frame pixels apart: 0.16 m at 1 cm per pixel (one person), 0.8 m at 5 cm (two).
    A second peak that scores nearly as high goes only within `same_head_m` (0.2 m): 0.16 m, not 0.24 m."""
    model = _two_peaks_model(tmp_path / "m.onnx", weak_score)
    config = OnnxDetectorConfig(type="onnx", model=model, score_threshold=0.4)
    floor = ScaleProjector(metres_per_pixel, (0.0, 0.0))
    frame = Frame(FrameMeta(0, 1.0, 64, 64), np.full((64, 64, 3), 90, np.uint8))
    found = build_detector(config, floor).detect(frame)
    assert len(found) == expected
    assert found.scores[0] == pytest.approx(0.9, abs=0.01)
    # Without a calibration there is no floor to measure on: both peaks stay.
    assert len(OnnxDetector(config).detect(frame)) == 2
