"""The figures `calibrate show` prints, against geometry worked out by hand."""

from __future__ import annotations

import math

import pytest

from agent.calibrate.summary import format_summary, summarise
from agent.geometry.camera import CameraModel
from agent.geometry.lens import Lens
from agent.geometry.pose import Pose


def test_straight_down_pinhole_figures():
    camera = CameraModel.straight_down(1200, 900, 3.0, hfov_deg=90.0)
    summary = summarise(camera, head_height_m=1.6)
    assert summary.mounting_height_m == 3.0
    assert summary.tilt_deg == pytest.approx(0.0, abs=1e-9)
    # 90 degrees across: 6 m wide, 4.5 m deep at the floor; 1.4 m to the heads
    assert summary.floor.area_m2 == pytest.approx(6.0 * 4.5)
    assert summary.heads.area_m2 == pytest.approx(6.0 * 4.5 * (1.4 / 3.0) ** 2)
    assert summary.centre_cm_per_px == pytest.approx(300.0 / 600.0, rel=1e-6)
    # no distortion and a level camera: the same resolution everywhere
    assert summary.edge_cm_per_px == pytest.approx(summary.centre_cm_per_px, rel=1e-3)


def test_tilted_camera_is_coarser_at_the_far_edge():
    camera = CameraModel(Lens.from_hfov(1280, 960, 80.0), Pose.looking_down((0.0, 0.0, 3.0), 30.0))
    summary = summarise(camera)
    assert summary.tilt_deg == pytest.approx(30.0)
    assert summary.edge_cm_per_px is not None and summary.edge_cm_per_px > 2 * summary.centre_cm_per_px


def test_a_camera_that_sees_the_horizon_has_unbounded_coverage():
    camera = CameraModel(Lens.from_hfov(1280, 960, 90.0), Pose.looking_down((0.0, 0.0, 3.0), 60.0))
    summary = summarise(camera)
    assert summary.floor.area_m2 is None and summary.edge_cm_per_px is None
    text = "\n".join(format_summary(summary))
    assert "unbounded" in text and "n/a" in text


def test_fisheye_centre_resolution():
    camera = CameraModel.straight_down(1000, 1000, 2.5, hfov_deg=120.0, kind="fisheye")
    focal = 500.0 / math.radians(60.0)
    assert summarise(camera).centre_cm_per_px == pytest.approx(250.0 / focal, rel=1e-4)
