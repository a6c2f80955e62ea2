"""Camera pose from tape-measured floor marks: accuracy under measurement noise, and every refusal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.calibrate.floor import FloorMark, fit_floor_pose, read_marks
from agent.geometry.camera import CameraModel
from agent.geometry.errors import CalibrationError
from agent.geometry.lens import Lens
from agent.geometry.pose import Pose

PINHOLE = Lens(1280, 960, 700.0, 702.0, 645.0, 478.0, "pinhole", (-0.28, 0.07, 0.001, -0.0005, -0.005))
FISHEYE = Lens(1280, 960, 400.0, 400.0, 640.0, 480.0, "fisheye", (0.03, -0.01, 0.002, -0.0005))


def guide_pattern(lens: Lens) -> np.ndarray:
    """Marks spread over the view as the field guide asks: a 3 x 3 pattern, as fractions of the image.

    A fisheye sees far beyond the shop; its marks stay within the central half of the image.
    """
    low, high = (0.12, 0.88) if lens.kind == "pinhole" else (0.25, 0.75)
    return np.array([(u, v) for u in (low, 0.5, high) for v in (low, 0.5, high)])


def measured_marks(camera: CameraModel, rng: np.random.Generator, noise_m: float) -> list[FloorMark]:
    """Marks at the guide's pattern (jittered), their floor positions measured with ``noise_m`` tape noise."""
    size = np.array([camera.width_px, camera.height_px])
    pattern = guide_pattern(camera.lens)
    pixels = (pattern + rng.uniform(-0.04, 0.04, pattern.shape)) * size
    floor = camera.pixels_to_floor(pixels)
    keep = np.isfinite(floor).all(axis=1) & (np.linalg.norm(floor - camera.position_m[:2], axis=1) < 8.0)
    measured = floor[keep] + rng.normal(0.0, noise_m, size=floor[keep].shape)
    return [
        FloorMark(chr(ord("A") + i), (float(p[0]), float(p[1])), (float(m[0]), float(m[1])))
        for i, (p, m) in enumerate(zip(pixels[keep], measured, strict=True))
    ]


@pytest.mark.parametrize("lens", [PINHOLE, FISHEYE], ids=["pinhole", "fisheye"])
@pytest.mark.parametrize(
    ("height_m", "tilt_deg", "heading_deg"),
    [(2.6, 0.0, 90.0), (3.0, 10.0, 20.0), (3.5, 25.0, 200.0), (4.5, 35.0, 300.0)],
)
def test_pose_from_marks_with_one_centimetre_noise(lens, height_m, tilt_deg, heading_deg):
    truth = CameraModel(lens, Pose.looking_down((1.2, 3.4, height_m), tilt_deg, heading_deg))
    worst_height_cm = worst_tilt_deg = 0.0
    for seed in range(10):
        marks = measured_marks(truth, np.random.default_rng(seed), noise_m=0.01)
        fit = fit_floor_pose(lens, marks)
        worst_height_cm = max(worst_height_cm, abs(fit.model.pose.mounting_height_m - height_m) * 100)
        worst_tilt_deg = max(worst_tilt_deg, abs(fit.model.pose.tilt_deg - tilt_deg))
        assert fit.rms_cm < 3.0
    assert worst_height_cm < 3.0
    assert worst_tilt_deg < 1.0


def test_exact_marks_give_the_exact_pose():
    truth = CameraModel(PINHOLE, Pose.looking_down((0.0, 0.0, 3.0), 15.0, 90.0))
    fit = fit_floor_pose(PINHOLE, measured_marks(truth, np.random.default_rng(0), noise_m=0.0))
    np.testing.assert_allclose(fit.model.pose.position, truth.pose.position, atol=1e-6)
    assert fit.max_cm < 1e-4 and max(fit.reprojection_px) < 1e-4


def _square_marks() -> list[FloorMark]:
    truth = CameraModel(PINHOLE, Pose.looking_down((1.0, 1.0, 3.0), 0.0))
    floor = np.array([(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (1.0, 0.5)])
    pixels = truth.floor_to_pixels(floor)
    return [FloorMark(n, tuple(p), tuple(f)) for n, p, f in zip("ABCDE", pixels, floor, strict=True)]


def _replace(marks: list[FloorMark], index: int, **changes) -> list[FloorMark]:
    mark = marks[index]
    fields = {"name": mark.name, "pixel": mark.pixel, "floor_m": mark.floor_m} | changes
    return [*marks[:index], FloorMark(**fields), *marks[index + 1 :]]


@pytest.mark.parametrize(
    ("marks", "message"),
    [
        (_square_marks()[:3], "needs at least 4 marks, got 3"),
        (
            [
                FloorMark(n, (100.0 + 200 * i, 300.0 + 150 * i), (0.5 * i, 0.01 * (i % 2)))
                for i, n in enumerate("ABCD")
            ],
            "the marks' floor positions are (nearly) on one line",
        ),
        (
            [
                FloorMark(n, (100.0 + 200 * i, 300.0), f)
                for i, (n, f) in enumerate(zip("ABCD", [(0, 0), (1, 0), (1, 1), (0, 1)], strict=True))
            ],
            "the marks' pixels are (nearly) on one line",
        ),
        (_replace(_square_marks(), 4, floor_m=(2.0, 2.02)), "marks C and E are 2.0 cm apart on the floor"),
        (
            _replace(_square_marks(), 1, pixel=(1300.0, 10.0)),
            "marks B (1300, 10): pixel outside the 1280x960 image",
        ),
        (
            _replace(_square_marks(), 4, floor_m=(1.0, 1.0)),
            "marks farther than 10 cm from their measured positions: E",
        ),
    ],
    ids=["too-few", "collinear-floor", "collinear-pixels", "duplicate", "outside-image", "error-too-large"],
)
def test_degenerate_marks_are_refused_with_the_reason(marks, message):
    with pytest.raises(CalibrationError) as raised:
        fit_floor_pose(PINHOLE, marks)
    assert message in str(raised.value)


def test_a_mirrored_floor_frame_is_refused_with_a_hint():
    marks = [FloorMark(m.name, m.pixel, (m.floor_m[0], -m.floor_m[1])) for m in _square_marks()]
    with pytest.raises(CalibrationError, match="counter-clockwise from x"):
        fit_floor_pose(PINHOLE, marks)


def test_read_marks(tmp_path: Path):
    path = tmp_path / "marks.csv"
    path.write_text(
        "# measured 2024-05-01\nname,u_px,v_px,x_m,y_m\nA, 10, 20.5, 0.0, 1.25\n\ndoor left,30,40,2,3\n"
    )
    assert read_marks(path) == [
        FloorMark("A", (10.0, 20.5), (0.0, 1.25)),
        FloorMark("door left", (30.0, 40.0), (2.0, 3.0)),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty, expected a header name,u_px,v_px,x_m,y_m"),
        ("name,x,y\n", "line 1: header is 'name,x,y', expected 'name,u_px,v_px,x_m,y_m'"),
        ("name,u_px,v_px,x_m,y_m\nA,1,2,3\n", "line 2: 4 values, expected 5"),
        ("name,u_px,v_px,x_m,y_m\nA,1,2,three,4\n", "line 2: column x_m is 'three', expected a number"),
        ("name,u_px,v_px,x_m,y_m\n\nA,1,nan,3,4\n", "line 3: column v_px is 'nan', expected a number"),
    ],
)
def test_a_malformed_marks_file_names_the_line_and_column(tmp_path: Path, text, message):
    path = tmp_path / "marks.csv"
    path.write_text(text)
    with pytest.raises(CalibrationError) as raised:
        read_marks(path)
    assert f"marks file '{path}'" in str(raised.value)
    assert message in str(raised.value)


def test_a_missing_marks_file_is_named(tmp_path: Path):
    with pytest.raises(CalibrationError, match="marks.csv' cannot be read"):
        read_marks(tmp_path / "marks.csv")
