"""The versioned calibration file: round trip, and a clear error for every kind of malformed file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from agent.geometry.calibration_file import (
    CalibrationError,
    CalibrationQuality,
    load_calibration,
    load_lens,
    load_quality,
    save_calibration,
)
from agent.geometry.camera import CameraModel
from agent.geometry.lens import Lens
from agent.geometry.pose import Pose

LENS = Lens(1280, 960, 700.0, 702.0, 645.0, 478.0, "pinhole", (-0.28, 0.07, 0.001, -0.0005, -0.005))
MODEL = CameraModel(LENS, Pose.looking_down((1.0, 2.0, 3.1), 12.0, 45.0))


def test_save_and_load_round_trip(tmp_path: Path):
    path = tmp_path / "camera.json"
    save_calibration(MODEL, path, quality=CalibrationQuality(floor_rms_cm=1.5), created_by="test")

    loaded = load_calibration(path)

    assert loaded == MODEL
    assert load_quality(path).floor_rms_cm == 1.5
    assert json.loads(path.read_text())["version"] == 1
    pixels = np.array([[10.0, 20.0], [640.0, 480.0]])
    np.testing.assert_array_equal(loaded.pixels_to_floor(pixels), MODEL.pixels_to_floor(pixels))


def test_a_lens_only_file_loads_as_a_lens_but_not_as_a_camera(tmp_path: Path):
    path = tmp_path / "lens.json"
    save_calibration(LENS, path)
    assert load_lens(path) == LENS
    with pytest.raises(CalibrationError) as raised:
        load_calibration(path)
    assert str(path) in str(raised.value)
    assert "key 'pose' is null, expected the camera pose" in str(raised.value)


def test_saving_leaves_no_temporary_file(tmp_path: Path):
    save_calibration(MODEL, tmp_path / "camera.json")
    assert [p.name for p in tmp_path.iterdir()] == ["camera.json"]


def _document() -> dict:
    return {
        "version": 1,
        "lens": {
            "kind": "pinhole",
            "image_width_px": 1280,
            "image_height_px": 960,
            "fx_px": 700.0,
            "fy_px": 700.0,
            "cx_px": 640.0,
            "cy_px": 480.0,
            "distortion": [0.0, 0.0, 0.0, 0.0, 0.0],
        },
        "pose": {"rotation_rodrigues": [3.14159, 0.0, 0.0], "position_m": [0.0, 0.0, 3.0]},
    }


def _with(path: tuple, value: object) -> str:
    document = copy.deepcopy(_document())
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(document)


_DELETE = object()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_with(("lens", "fx_px"), -700.0), "key 'lens.fx_px' is -700.0: Input should be greater than 0"),
        (_with(("lens", "fx_px"), "wide"), "key 'lens.fx_px' is \"wide\": Input should be a valid number"),
        (_with(("lens", "cy_px"), _DELETE), "key 'lens.cy_px' is missing"),
        (
            _with(("lens", "kind"), "spherical"),
            "key 'lens.kind' is \"spherical\": Input should be 'pinhole' or",
        ),
        (_with(("lens", "distortion"), [0.1, 0.2]), "distortion has 2 coefficients, a pinhole lens needs 5"),
        (_with(("lens", "image_width_px"), 0), "key 'lens.image_width_px' is 0"),
        (_with(("lens", "focal"), 3.0), "key 'lens.focal' is not allowed (misspelt?)"),
        (_with(("pose", "position_m"), [0.0, 0.0, -3.0]), "camera height position_m[2] is -3.0 m"),
        (_with(("pose", "position_m"), [0.0, 0.0]), "key 'pose.position_m.2' is missing"),
        (_with(("version",), 2), "key 'version' is 2, expected 1"),
        (_with(("version",), _DELETE), "key 'version' is missing"),
        (_with(("lens",), _DELETE), "key 'lens' is missing"),
        ('{"version": 1, "lens": ', "not valid JSON at line 1 column 24"),
        ("[1, 2]", "key '(top level)'"),
        (_with(("lens", "fx_px"), 1.0).replace("1.0", "NaN", 1), "key 'lens.fx_px' is nan"),
    ],
)
def test_a_malformed_file_names_the_file_the_key_and_what_was_expected(tmp_path: Path, text, message):
    path = tmp_path / "camera.json"
    path.write_text(text)
    with pytest.raises(CalibrationError) as raised:
        load_calibration(path)
    assert f"calibration file '{path}'" in str(raised.value)
    assert message in str(raised.value)


def test_a_missing_file_is_named(tmp_path: Path):
    path = tmp_path / "nowhere.json"
    with pytest.raises(CalibrationError, match="nowhere.json' does not exist"):
        load_calibration(path)


def test_a_file_that_is_not_text_is_named(tmp_path: Path):
    path = tmp_path / "camera.json"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(CalibrationError, match="camera.json' cannot be read"):
        load_lens(path)
