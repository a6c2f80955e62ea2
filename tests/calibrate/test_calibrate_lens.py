"""Lens calibration on checkerboard photographs rendered through a known lens."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from agent.calibrate.board import Checkerboard
from agent.calibrate.lens import calibrate_lens
from agent.geometry.errors import CalibrationError
from agent.geometry.lens import Lens

BOARD = Checkerboard(9, 6, 30.0)
PINHOLE = Lens(640, 480, 520.0, 518.0, 322.0, 236.0, "pinhole", (-0.25, 0.08, 0.001, -0.0008, -0.01))
FISHEYE = Lens(640, 480, 260.0, 261.0, 318.0, 242.0, "fisheye", (0.03, -0.01, 0.002, -0.0005))


@pytest.fixture(scope="module")
def pinhole_photos(tmp_path_factory, render_views) -> Path:
    folder = tmp_path_factory.mktemp("pinhole_photos")
    render_views(PINHOLE, BOARD, folder, 10)
    return folder


@pytest.mark.parametrize("truth", [PINHOLE, FISHEYE], ids=["pinhole", "fisheye"])
def test_lens_calibration_recovers_focal_length_and_centre(truth, render_views, tmp_path, pinhole_photos):
    folder = pinhole_photos if truth is PINHOLE else tmp_path
    if truth is FISHEYE:
        render_views(truth, BOARD, folder, 10)

    result = calibrate_lens(folder, BOARD, truth.kind)

    found = result.lens
    for name in ("fx", "fy", "cx", "cy"):
        relative = abs(getattr(found, name) - getattr(truth, name)) / getattr(truth, name)
        assert relative < 0.01, f"{name}: {getattr(found, name):.2f} vs {getattr(truth, name):.2f}"
    assert result.rms_px < 0.5
    assert len(result.used) == 10 and result.board_not_found == ()


def test_too_large_an_error_is_refused_with_the_worst_images(pinhole_photos):
    with pytest.raises(CalibrationError) as raised:
        calibrate_lens(pinhole_photos, BOARD, "pinhole", max_rms_px=0.001)
    message = str(raised.value)
    assert "RMS reprojection error" in message and "above the limit 0.001 px" in message
    assert "worst images: view_" in message


def test_wrong_lens_kind_is_refused_by_the_error(pinhole_photos):
    # a fisheye model cannot fit this strongly barrel-distorted pinhole well
    with pytest.raises(CalibrationError, match=r"RMS reprojection error .* above the limit 0.05 px"):
        calibrate_lens(pinhole_photos, BOARD, "fisheye", max_rms_px=0.05)


def test_an_unreadable_image_is_named(pinhole_photos, tmp_path):
    for photo in sorted(pinhole_photos.iterdir()):
        (tmp_path / photo.name).write_bytes(photo.read_bytes())
    (tmp_path / "view_05.png").write_bytes(b"this is not a png")
    with pytest.raises(CalibrationError) as raised:
        calibrate_lens(tmp_path, BOARD)
    assert f"image '{tmp_path / 'view_05.png'}' cannot be read" in str(raised.value)


def test_too_few_views_are_refused_naming_where_the_board_was_not_found(pinhole_photos, tmp_path):
    photos = sorted(pinhole_photos.iterdir())
    for photo in photos[:4]:
        (tmp_path / photo.name).write_bytes(photo.read_bytes())
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((480, 640), 200, np.uint8))
    with pytest.raises(CalibrationError) as raised:
        calibrate_lens(tmp_path, BOARD)
    message = str(raised.value)
    assert "board was found in 4 of 5 images" in message and "need at least 6" in message
    assert "not found in: blank.png" in message


def test_images_of_different_sizes_are_refused(pinhole_photos, tmp_path):
    photo = sorted(pinhole_photos.iterdir())[0]
    (tmp_path / "a.png").write_bytes(photo.read_bytes())
    cv2.imwrite(str(tmp_path / "b.png"), np.zeros((240, 320), np.uint8))
    with pytest.raises(CalibrationError, match=r"b.png' is 320x240 px, expected 640x480 px"):
        calibrate_lens(tmp_path, BOARD)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: root / "missing", "does not exist or is not a directory"),
        (lambda root: root, "holds no images, expected files ending in .png"),
    ],
)
def test_a_missing_or_empty_folder_is_named(tmp_path, make, message):
    (tmp_path / "notes.txt").write_text("not an image")
    folder = make(tmp_path)
    with pytest.raises(CalibrationError) as raised:
        calibrate_lens(folder, BOARD)
    assert f"image folder '{folder}'" in str(raised.value)
    assert message in str(raised.value)
