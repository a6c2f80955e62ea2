"""Camera pose: construction, conversions and the figures derived from it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agent.geometry.pose import Pose


@pytest.mark.parametrize(("tilt_deg", "heading_deg"), [(0.0, 90.0), (15.0, 0.0), (40.0, 225.0), (89.0, 10.0)])
def test_looking_down_has_the_requested_tilt_and_height(tilt_deg, heading_deg):
    pose = Pose.looking_down((1.0, 2.0, 3.5), tilt_deg, heading_deg)
    assert pose.tilt_deg == pytest.approx(tilt_deg, abs=1e-9)
    assert pose.mounting_height_m == 3.5
    heading = math.radians(heading_deg)
    expected_axis = [
        math.sin(math.radians(tilt_deg)) * math.cos(heading),
        0.0,
        -math.cos(math.radians(tilt_deg)),
    ]
    expected_axis[1] = math.sin(math.radians(tilt_deg)) * math.sin(heading)
    np.testing.assert_allclose(pose.optical_axis, expected_axis, atol=1e-9)


def test_rvec_tvec_round_trip():
    pose = Pose.looking_down((0.5, -1.0, 2.8), 25.0, 130.0)
    again = Pose.from_rvec_tvec(pose.rotation_rodrigues, pose.tvec)
    np.testing.assert_allclose(again.rotation_matrix, pose.rotation_matrix, atol=1e-12)
    np.testing.assert_allclose(again.position, pose.position, atol=1e-12)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Pose.looking_down((0.0, 0.0, 3.0), 90.0), "tilt_deg is 90.0, should be in [0, 90)"),
        (lambda: Pose.from_matrix(np.diag([1.0, 1.0, -1.0]), (0, 0, 3)), "should be +1 (a reflection)"),
        (lambda: Pose.from_matrix(np.ones((3, 3)), (0, 0, 3)), "is not orthonormal"),
        (lambda: Pose((0.0, 0.0), (0.0, 0.0, 3.0)), "pose rotation_rodrigues is (0.0, 0.0)"),
        (lambda: Pose((0.0, 0.0, 0.0), (0.0, math.nan, 3.0)), "pose position_m is (0.0, nan, 3.0)"),
    ],
)
def test_bad_pose_is_refused_by_name(build, message):
    with pytest.raises(ValueError) as raised:
        build()
    assert message in str(raised.value)
