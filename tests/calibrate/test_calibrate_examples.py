"""The example calibrations shipped in calibration/examples are valid and agree with each other."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.calibrate.floor import fit_floor_pose, read_marks
from agent.geometry.calibration_file import load_calibration, load_lens

EXAMPLES = Path(__file__).resolve().parents[2] / "calibration" / "examples"


@pytest.mark.parametrize("name", ["quick-pinhole-90deg-3m.json", "fisheye-ceiling-3.4m.json"])
def test_example_camera_files_load(name):
    assert load_calibration(EXAMPLES / name).pose.mounting_height_m > 2.0


def test_example_marks_fit_the_example_lens():
    fit = fit_floor_pose(load_lens(EXAMPLES / "lens-pinhole-wide.json"), read_marks(EXAMPLES / "marks.csv"))
    assert fit.max_cm < 5.0
    assert fit.model.pose.mounting_height_m == pytest.approx(3.1, abs=0.03)
