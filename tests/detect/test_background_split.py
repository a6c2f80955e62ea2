"""The background detector splits a blob into as many people as its area holds at that point of the image."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from agent.detect import BackgroundDetectorConfig, BackgroundSubtractionDetector
from agent.detect.person_size import PersonSizeMap, split_points
from agent.geometry.camera import CameraModel
from agent.types import Frame, FrameMeta

CAMERA = CameraModel.straight_down(320, 240, 3.0, hfov_deg=90.0)
FISHEYE = CameraModel.straight_down(320, 240, 4.0, hfov_deg=170.0, kind="fisheye")
# A disc of one person's expected area at the image centre.
RADIUS = float(np.sqrt(PersonSizeMap(CAMERA).area_px([(160, 120)])[0] / np.pi))


def _frame(index: int, image: np.ndarray) -> Frame:
    return Frame(FrameMeta(index, index / 10, 320, 240), image)


def _people_frame(centres: list[tuple[float, float]], radius_px: float) -> np.ndarray:
    image = np.full((240, 320, 3), 170, np.uint8)
    for u, v in centres:
        cv2.circle(image, (round(u), round(v)), round(radius_px), (40, 40, 40), -1)
    return image


def _detect(centres: list[tuple[float, float]], camera: CameraModel | None) -> np.ndarray:
    detector = BackgroundSubtractionDetector(
        BackgroundDetectorConfig(type="background", warmup_frames=5), camera
    )
    empty = _people_frame([], 1)
    for i in range(5):
        detector.detect(_frame(i, empty))
    return detector.detect(_frame(5, _people_frame(centres, RADIUS))).points_px


@pytest.mark.parametrize(
    ("name", "centres", "camera", "expected"),
    [
        ("one person", [(160, 120)], CAMERA, [(160, 120)]),
        (
            "two abreast",
            [(160 - 0.8 * RADIUS, 120), (160 + 0.8 * RADIUS, 120)],
            CAMERA,
            [(160 - 0.8 * RADIUS, 120), (160 + 0.8 * RADIUS, 120)],
        ),
        (
            "three in a row",
            [(160 + k * 1.6 * RADIUS, 120) for k in (-1, 0, 1)],
            CAMERA,
            [(160 + k * 1.6 * RADIUS, 120) for k in (-1, 0, 1)],
        ),
        (
            "two abreast, no calibration: one blob",
            [(160 - 0.8 * RADIUS, 120), (160 + 0.8 * RADIUS, 120)],
            None,
            [(160, 120)],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_blob_is_split_by_expected_person_size(name, centres, camera, expected):
    found = _detect(centres, camera)
    assert len(found) == len(expected)
    found = found[np.lexsort((found[:, 1], found[:, 0]))]
    np.testing.assert_allclose(found, expected, atol=0.35 * RADIUS)


def test_person_size_shrinks_towards_a_fisheye_edge():
    sizes = PersonSizeMap(FISHEYE)
    centre, edge = sizes.area_px([(160, 120), (300, 120)])
    assert centre > 2 * edge > 0


def test_person_size_is_nan_outside_the_image_circle():
    circle = CameraModel.straight_down(320, 240, 4.0, hfov_deg=240.0, kind="fisheye")
    assert np.isnan(PersonSizeMap(circle).area_px([(2, 2)])[0])


@pytest.mark.parametrize(("height_m", "width_m"), [(0.0, 0.5), (1.7, -0.1)])
def test_person_size_rejects_bad_sizes(height_m, width_m):
    with pytest.raises(ValueError, match="should both be > 0 metres"):
        PersonSizeMap(CAMERA, height_m, width_m)


def test_split_points_is_deterministic_and_finds_clusters():
    rng = np.random.default_rng(0)
    pixels = np.vstack([rng.normal((10, 10), 1.0, (50, 2)), rng.normal((30, 12), 1.0, (50, 2))])
    first, second = split_points(pixels, 2), split_points(pixels, 2)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first[np.argsort(first[:, 0])], [(10, 10), (30, 12)], atol=0.6)
