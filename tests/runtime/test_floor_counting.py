"""FloorCounting tells the motion gate whether anyone is tracked, tentative tracks included."""

from __future__ import annotations

import numpy as np
import pytest

from agent.runtime.counting import FloorCounting
from agent.track.config import KalmanTrackerConfig, NearestTrackerConfig
from agent.types import FloorPoints


def _points(t_s: float, xy: list[tuple[float, float]]) -> FloorPoints:
    return FloorPoints(t_s, np.array(xy, dtype=float).reshape(-1, 2), np.full(len(xy), 0.9))


@pytest.mark.parametrize(
    "tracker",
    [
        KalmanTrackerConfig(type="kalman", min_hits=3, max_age_s=0.5),
        NearestTrackerConfig(type="nearest", min_hits=3, max_age_s=0.5),
    ],
    ids=["kalman", "nearest"],
)
def test_a_tentative_track_counts_as_someone_tracked_until_it_ends(tracker) -> None:
    floor = FloorCounting(tracker, [])
    assert not floor.tracking
    step = floor.count(_points(0.0, [(1.0, 1.0)]))
    assert len(step.tracks) == 0, "one detection is not a confirmed track"
    assert floor.tracking, "but the gate must keep looking for them every max_interval_s"
    for i in range(1, 8):  # 0.7 s of detections without them: the track ends
        floor.count(_points(0.1 * i, []))
    assert not floor.tracking
