"""Pixel <-> floor projection of CameraModel, for pinhole and fisheye lenses."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from agent.geometry.camera import CameraModel
from agent.geometry.lens import Lens
from agent.geometry.pose import Pose

WIDE_PINHOLE = Lens(1280, 960, 700.0, 702.0, 645.0, 478.0, "pinhole", (-0.28, 0.07, 0.001, -0.0005, -0.005))
# f chosen so the image corners are ~80 degrees off axis: the whole image sees the floor
FISHEYE = Lens(1280, 960, 573.0, 571.0, 636.0, 483.0, "fisheye", (0.03, -0.01, 0.002, -0.0005))


def whole_image(lens: Lens, step_px: float = 16.0) -> np.ndarray:
    """A grid of pixels over the whole image, edges included."""
    u = np.append(np.arange(0.0, lens.width_px - 1, step_px), lens.width_px - 1.0)
    v = np.append(np.arange(0.0, lens.height_px - 1, step_px), lens.height_px - 1.0)
    uu, vv = np.meshgrid(u, v)
    return np.column_stack([uu.ravel(), vv.ravel()])


@pytest.mark.parametrize("lens", [WIDE_PINHOLE, FISHEYE], ids=["pinhole", "fisheye"])
@pytest.mark.parametrize("tilt_deg", [0.0, 20.0])
@pytest.mark.parametrize("height_m", [0.0, 1.6, "per-point"])
def test_pixel_floor_pixel_round_trip_within_half_a_pixel_over_the_whole_image(lens, tilt_deg, height_m):
    camera = CameraModel(lens, Pose.looking_down((1.5, -2.0, 3.2), tilt_deg, heading_deg=30.0))
    pixels = whole_image(lens)
    heights = np.linspace(0.0, 2.0, len(pixels)) if height_m == "per-point" else height_m

    floor = camera.pixels_to_floor(pixels, heights)
    back = camera.floor_to_pixels(floor, heights)

    sees_plane = np.isfinite(floor).all(axis=1)
    if tilt_deg == 0.0:
        assert sees_plane.all(), "every pixel of a straight-down view sees the plane"
    else:
        assert sees_plane.mean() > 0.97, "only the far corners of a tilted fisheye see above the horizon"
    error_px = np.linalg.norm(back[sees_plane] - pixels[sees_plane], axis=1)
    assert error_px.max() < 0.5, f"worst round-trip error {error_px.max():.3g} px"


@pytest.mark.parametrize("lens", [WIDE_PINHOLE, FISHEYE], ids=["pinhole", "fisheye"])
def test_floor_pixel_floor_round_trip_in_metres(lens):
    camera = CameraModel(lens, Pose.looking_down((0.0, 0.0, 3.0), 10.0))
    rng = np.random.default_rng(4)
    points = rng.uniform(-2.0, 2.0, size=(200, 2))
    pixels = camera.floor_to_pixels(points, 1.6)
    seen = camera.in_image(pixels)
    assert seen.sum() > 100
    points = points[seen]
    back = camera.pixels_to_floor(pixels[seen], 1.6)
    assert np.abs(back - points).max() < 1e-6


def test_straight_down_reads_like_a_map():
    camera = CameraModel.straight_down(1000, 800, 3.0, hfov_deg=90.0, position_xy_m=(2.0, 5.0))
    # the image's centre and the outer edges of its right and top pixels, as OpenCV counts pixels
    pixels = np.array([[499.5, 399.5], [999.5, 399.5], [499.5, -0.5]])
    floor = camera.pixels_to_floor(pixels)
    # centre under the camera; right edge is +x at 3 m * tan(45 deg); top edge is +y
    np.testing.assert_allclose(floor, [[2.0, 5.0], [5.0, 5.0], [2.0, 7.4]], atol=1e-9)
    assert camera.pose.tilt_deg == pytest.approx(0.0, abs=1e-9)
    assert camera.pose.mounting_height_m == 3.0


@pytest.mark.parametrize("kind", ["pinhole", "fisheye"])
def test_an_ideal_camera_made_at_another_size_is_the_same_camera_resized(kind) -> None:
    """The simulator renders a clip at 480 x 360 with the camera it calibrates at 640 x 480."""
    big = CameraModel.straight_down(640, 480, 3.5, hfov_deg=100.0, kind=kind)
    small = CameraModel.straight_down(480, 360, 3.5, hfov_deg=100.0, kind=kind)
    assert np.allclose(big.resized(480, 360).lens.camera_matrix, small.lens.camera_matrix, atol=1e-12)


def test_a_head_projects_closer_to_the_nadir_than_a_foot_in_the_same_pixel():
    camera = CameraModel.straight_down(1280, 960, 3.0, hfov_deg=100.0)
    edge_pixel = np.array([[1200.0, 480.0]])
    foot = camera.pixels_to_floor(edge_pixel, 0.0)[0]
    head = camera.pixels_to_floor(edge_pixel, 1.6)[0]
    # similar triangles: (3.0 - 1.6) / 3.0 of the floor distance
    assert head[0] == pytest.approx(foot[0] * 1.4 / 3.0)
    assert foot[0] - head[0] > 1.5, "the difference is metres at the edge of a wide view"


def test_straight_down_fisheye_focal_from_field_of_view():
    camera = CameraModel.straight_down(1200, 900, 2.5, hfov_deg=180.0, kind="fisheye")
    assert camera.fx == pytest.approx(600.0 / (math.pi / 2))
    assert camera.kind == "fisheye"
    assert camera.distortion == (0.0, 0.0, 0.0, 0.0)


def test_pixels_above_the_horizon_are_nan_rows():
    camera = CameraModel(WIDE_PINHOLE, Pose.looking_down((0.0, 0.0, 3.0), 70.0))
    floor = camera.pixels_to_floor(np.array([[640.0, 0.0], [640.0, 959.0]]))
    assert np.isnan(floor[0]).all(), "the top of a camera tilted 70 degrees sees the wall, not the floor"
    assert np.isfinite(floor[1]).all()


@pytest.mark.parametrize("height_m", [3.0, 4.5])
def test_a_plane_at_or_above_the_camera_is_never_hit(height_m):
    camera = CameraModel.straight_down(640, 480, 3.0, hfov_deg=60.0)
    assert np.isnan(camera.pixels_to_floor(np.array([[320.0, 240.0]]), height_m)).all()


def test_points_behind_a_pinhole_camera_project_to_nan():
    camera = CameraModel.straight_down(640, 480, 3.0, hfov_deg=60.0)
    assert np.isnan(camera.floor_to_pixels(np.array([[0.0, 0.0]]), 3.5)).all()


def test_non_finite_pixels_give_nan_rows_and_keep_the_others():
    camera = CameraModel.straight_down(640, 480, 3.0, hfov_deg=60.0)
    floor = camera.pixels_to_floor(np.array([[np.nan, 1.0], [320.0, 240.0]]))
    assert np.isnan(floor[0]).all() and np.isfinite(floor[1]).all()


def test_empty_input_gives_empty_output():
    camera = CameraModel.straight_down(640, 480, 3.0, hfov_deg=60.0)
    assert camera.pixels_to_floor(np.zeros((0, 2))).shape == (0, 2)
    assert camera.floor_to_pixels(np.zeros((0, 2))).shape == (0, 2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.pixels_to_floor(np.zeros((3, 3))), "pixels has shape (3, 3), should be (N, 2)"),
        (lambda c: c.floor_to_pixels(np.zeros((4,))), "points_m has shape (4,), should be (N, 2)"),
        (lambda c: c.pixels_to_floor(np.zeros((3, 2)), np.zeros(2)), "height_m has shape (2,)"),
        (
            lambda c: CameraModel.straight_down(640, 480, 3.0),
            "give exactly one of hfov_deg (None) and focal_px (None)",
        ),
        (lambda c: CameraModel.straight_down(640, 480, -1.0, hfov_deg=60.0), "mounting_height_m is -1.0"),
        (lambda c: CameraModel.straight_down(640, 480, 3.0, hfov_deg=180.0), "hfov_deg is 180.0"),
    ],
)
def test_bad_arguments_are_named(call, message):
    camera = CameraModel.straight_down(640, 480, 3.0, hfov_deg=60.0)
    with pytest.raises(ValueError) as raised:
        call(camera)
    assert message in str(raised.value)


def test_in_image():
    camera = CameraModel.straight_down(640, 480, 3.0, hfov_deg=60.0)
    inside = camera.in_image(
        np.array([[0.0, 0.0], [639.9, 479.9], [640.0, 10.0], [-0.1, 5.0], [np.nan, 1.0]])
    )
    assert inside.tolist() == [True, True, False, False, False]


def where_opencv_scales(pixels: np.ndarray, scale: float) -> np.ndarray:
    """Where `cv2.resize` puts each pixel centre of an image scaled by ``scale``."""
    return (pixels + 0.5) * scale - 0.5


def test_opencv_scales_a_spot_about_the_pixel_centres() -> None:
    """The rule the resized calibration follows, checked on a picture OpenCV scales."""
    v, u = np.mgrid[0:960, 0:1280].astype(np.float64)
    for u0, v0 in [(200.3, 150.0), (641.7, 480.25), (1100.0, 800.6)]:
        image = np.exp(-((u - u0) ** 2 + (v - v0) ** 2) / (2 * 6.0**2)).astype(np.float32)
        small = cv2.resize(image, (480, 360), interpolation=cv2.INTER_AREA)
        moments = cv2.moments(small)
        found = np.array([moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]])
        assert np.allclose(found, where_opencv_scales(np.array([u0, v0]), 3 / 8), atol=0.02), (u0, v0, found)


@pytest.mark.parametrize("lens", [WIDE_PINHOLE, FISHEYE], ids=["pinhole", "fisheye"])
def test_a_scaled_image_sees_the_same_floor_through_the_resized_calibration(lens) -> None:
    camera = CameraModel(lens, Pose.looking_down((0.0, 0.0, 3.5), tilt_deg=10.0))
    small = camera.resized(lens.width_px * 3 // 8, lens.height_px * 3 // 8)  # 1280x960 -> 480x360
    pixels = whole_image(lens, 64.0)
    expected = camera.pixels_to_floor(pixels, 1.6)
    measured = small.pixels_to_floor(where_opencv_scales(pixels, 3 / 8), 1.6)
    finite = np.isfinite(expected).all(axis=1)
    assert finite.sum() > 100
    assert np.allclose(measured[finite], expected[finite], atol=1e-6)
    assert camera.resized(lens.width_px, lens.height_px) is camera


@pytest.mark.parametrize("size", [(1280, 720), (0, 960)])
def test_a_resize_that_changes_the_aspect_ratio_is_refused(size) -> None:
    camera = CameraModel(WIDE_PINHOLE, Pose.looking_down((0.0, 0.0, 3.5)))
    with pytest.raises(ValueError, match=r"calibrated at 1280x960 px"):
        camera.resized(*size)


@pytest.mark.parametrize("kind", ["pinhole", "fisheye"])
def test_the_projector_sees_the_floor_in_the_picture_at_head_height(kind):
    from agent.geometry.projector import CameraProjector

    camera = CameraModel.straight_down(
        640, 480, 3.0, hfov_deg=90.0 if kind == "pinhole" else 180.0, kind=kind
    )
    projector = CameraProjector(camera, 1.7)
    # Heads 1.3 m below the lens: the pinhole's 90 degrees across 640 px see them to 1.3 m on either
    # side and 0.97 m up and down; 30 m away is beyond the top edge of either picture.
    points_m = np.array([[0.0, 0.0], [1.2, 0.0], [0.0, -0.9], [0.0, 30.0]])
    seen = projector.sees(points_m)
    assert seen.tolist() == [True, True, True, False]
    # The same floor for frames of another size: a resized camera sees what the calibrated one saw.
    assert projector.for_image(320, 240).sees(points_m).tolist() == seen.tolist()
