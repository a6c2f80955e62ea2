"""A track not confirmed yet that misses beside someone waits for the next detection; elsewhere it ends."""

from __future__ import annotations

import numpy as np
import pytest

from agent.analytics.lines import LineCounter
from agent.geometry.shapes import FloorLine
from agent.track.kalman import KalmanTracker
from agent.types import FloorPoints, Tracks

DOOR = FloorLine("door", (-1.0, 0.0), (1.0, 0.0), "left")


def tracker(wait_within_m: float) -> KalmanTracker:
    return KalmanTracker(min_hits=3, min_separation_m=0.2, tentative_wait_within_m=wait_within_m)


def walk_in(
    tracker: KalmanTracker, beside_found: list[bool], beside_x_m: float = 0.35, start: int = 0
) -> list[Tracks]:
    """A parent walks in at 1.2 m/s along x = 0 from y = -1.5 m, across the door (y = 0), found in every
    frame (10 a second); a child walks beside them at `beside_x_m`, found in the frames `beside_found`
    says; the frames from `start` on."""
    reports = []
    for i, found in enumerate(beside_found[start:], start=start):
        y_m = -1.5 + 0.12 * i
        xy = [(0.0, y_m)] + ([(beside_x_m, y_m)] if found else [])
        scores = [0.9, 0.8][: len(xy)]
        reports.append(tracker.update(FloorPoints(i / 10, np.array(xy), np.array(scores))))
    return reports


def counted(reports: list[Tracks]) -> list[str]:
    counter = LineCounter(DOOR, 0.2)
    return [crossing.direction for tracks in reports for crossing in counter.update(tracks)]


ONE_IN_TWO = [i % 2 == 0 for i in range(30)]


@pytest.mark.parametrize(("wait_within_m", "counts"), [(0.0, ["in"]), (0.6, ["in", "in"])])
def test_a_child_found_one_frame_in_two_beside_a_parent_is_confirmed_and_counted(
    wait_within_m: float, counts: list[str]
) -> None:
    """Found one frame in two, the child's track ends at each miss and is never confirmed, as in
    ByteTrack; waiting beside the parent (once the parent's track is confirmed, at frame 2), it is
    confirmed at its third detection, at frame 6, 0.78 m before the door, and counted."""
    reports = walk_in(tracker(wait_within_m), ONE_IN_TWO)
    assert counted(reports) == counts
    if wait_within_m:
        first = next(k for k, tracks in enumerate(reports) if len(tracks) == 2)
        assert first == 6


def test_a_peak_found_one_frame_in_two_away_from_everyone_is_never_confirmed() -> None:
    """1 m beside the parent (farther than 0.6 m) a peak found one frame in two still ends at each miss."""
    reports = walk_in(tracker(0.6), ONE_IN_TWO, beside_x_m=1.0)
    assert max(len(tracks) for tracks in reports) == 1
    assert counted(reports) == ["in"]


def test_a_track_that_misses_twice_running_beside_someone_ends() -> None:
    """Found at frames 0 and 1, missed at 2 and 3, found again from 4: the first track waited at frame 2
    and ended at 3; the child's confirmed track is a new one."""
    found = [i not in (2, 3) for i in range(12)]
    busy_tracker = tracker(0.6)
    walk_in(busy_tracker, found[:3])
    assert busy_tracker.tentative == 1  # waiting at its first miss
    reports = walk_in(busy_tracker, found, start=3)
    assert busy_tracker.tentative == 0
    assert {track_id for tracks in reports for track_id in tracks.ids.tolist()} == {1, 3}


def test_tentative_wait_within_m_is_checked() -> None:
    with pytest.raises(ValueError, match="tentative_wait_within_m is -1"):
        KalmanTracker(tentative_wait_within_m=-1)
