"""The lens model against OpenCV's own implementation, and its validation."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from agent.geometry.lens import Lens

FISHEYE = Lens(1280, 960, 573.0, 571.0, 636.0, 483.0, "fisheye", (0.03, -0.01, 0.002, -0.0005))
PINHOLE = Lens(1280, 960, 700.0, 702.0, 645.0, 478.0, "pinhole", (-0.28, 0.07, 0.001, -0.0005, -0.005))


def rays_in_front(count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rays = rng.normal(size=(count, 3))
    rays[:, 2] = np.abs(rays[:, 2]) + 0.3
    return rays


def test_fisheye_projection_matches_opencv():
    rays = rays_in_front(500)
    ours = FISHEYE.rays_to_pixels(rays)
    theirs, _ = cv2.fisheye.projectPoints(
        rays.reshape(1, -1, 3), np.zeros(3), np.zeros(3), FISHEYE.camera_matrix, FISHEYE.distortion_array
    )
    np.testing.assert_allclose(ours, theirs.reshape(-1, 2), atol=1e-6)


def test_fisheye_inversion_matches_opencv():
    pixels = FISHEYE.rays_to_pixels(rays_in_front(500, seed=1))
    ours = FISHEYE.pixels_to_rays(pixels)
    theirs = cv2.fisheye.undistortPoints(
        pixels.reshape(1, -1, 2), FISHEYE.camera_matrix, FISHEYE.distortion_array
    ).reshape(-1, 2)
    np.testing.assert_allclose(ours[:, :2] / ours[:, 2:], theirs, atol=1e-6)


def test_fisheye_sees_rays_beyond_ninety_degrees_off_axis():
    lens = Lens(1000, 1000, 280.0, 280.0, 500.0, 500.0, "fisheye", (0.0, 0.0, 0.0, 0.0))  # ~205 deg across
    ray = np.array([[math.sin(math.radians(100)), 0.0, math.cos(math.radians(100))]])
    pixel = lens.rays_to_pixels(ray)
    assert pixel[0, 0] == pytest.approx(500.0 + 280.0 * math.radians(100))
    np.testing.assert_allclose(lens.pixels_to_rays(pixel), ray, atol=1e-9)


def test_pinhole_pixels_beyond_the_fold_of_the_distortion_polynomial_are_nan():
    # k1 = -0.5 folds back at a normalised radius of about 0.8: the corner has no ray
    lens = Lens(1280, 960, 500.0, 500.0, 640.0, 480.0, "pinhole", (-0.5, 0.0, 0.0, 0.0, 0.0))
    rays = lens.pixels_to_rays(np.array([[640.0, 480.0], [0.0, 0.0]]))
    assert np.isfinite(rays[0]).all()
    assert np.isnan(rays[1]).all()


@pytest.mark.parametrize("lens", [PINHOLE, FISHEYE], ids=["pinhole", "fisheye"])
def test_rays_are_unit_vectors(lens):
    rays = lens.pixels_to_rays(np.array([[0.0, 0.0], [640.0, 480.0], [1279.0, 959.0]]))
    np.testing.assert_allclose(np.linalg.norm(rays, axis=1), 1.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width_px": 0}, "lens width_px is 0, should be an integer > 0"),
        ({"height_px": 480.5}, "lens height_px is 480.5"),
        ({"fx": -1.0}, "lens fx is -1.0 px, should be a finite number > 0"),
        ({"fy": math.nan}, "lens fy is nan px"),
        ({"cx": math.inf}, "lens cx is inf px, should be finite"),
        ({"kind": "spherical"}, "lens kind is 'spherical', should be 'pinhole' or 'fisheye'"),
        ({"distortion": (0.1, 0.2)}, "pinhole lens distortion has 2 coefficients [0.1, 0.2], should have 5"),
        ({"kind": "fisheye"}, "fisheye lens distortion has 5 coefficients"),
        ({"distortion": (0.0, 0.0, 0.0, 0.0, math.nan)}, "should be finite numbers"),
    ],
)
def test_bad_lens_is_refused_by_name(kwargs, message):
    fields = {"width_px": 640, "height_px": 480, "fx": 500.0, "fy": 500.0, "cx": 320.0, "cy": 240.0} | kwargs
    with pytest.raises(ValueError) as raised:
        Lens(**fields)
    assert message in str(raised.value)
