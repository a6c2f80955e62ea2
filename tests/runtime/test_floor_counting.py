"""FloorCounting tells the motion gate whether anyone is tracked, tentative tracks included, whether a
track awaits confirmation, and whether someone is near a counting line."""

from __future__ import annotations

import numpy as np
import pytest

from agent.analytics.config import LineConfig
from agent.runtime.counting import FloorCounting
from agent.track.config import KalmanTrackerConfig, NearestTrackerConfig
from agent.types import FloorPoints

# Both trackers confirming after 3 detections and ending a track unseen for 0.5 s.
BOTH_TRACKERS_3_HITS = pytest.mark.parametrize(
    "tracker",
    [
        KalmanTrackerConfig(type="kalman", min_hits=3, max_age_s=0.5),
        NearestTrackerConfig(type="nearest", min_hits=3, max_age_s=0.5),
    ],
    ids=["kalman", "nearest"],
)


def _points(t_s: float, xy: list[tuple[float, float]]) -> FloorPoints:
    return FloorPoints(t_s, np.array(xy, dtype=float).reshape(-1, 2), np.full(len(xy), 0.9))


@BOTH_TRACKERS_3_HITS
def test_a_tentative_track_counts_as_someone_tracked_until_it_ends(tracker) -> None:
    floor = FloorCounting(tracker, [])
    assert not floor.tracking
    step = floor.count(_points(0.0, [(1.0, 1.0)]))
    assert len(step.tracks) == 0, "one detection is not a confirmed track"
    assert floor.tracking, "but the gate must keep looking for them every max_interval_s"
    assert floor.confirming, "and on every frame until they are confirmed or gone"
    for i in range(1, 8):  # 0.7 s of detections without them: the track ends
        floor.count(_points(0.1 * i, []))
    assert not floor.tracking and not floor.confirming


@BOTH_TRACKERS_3_HITS
def test_confirming_lasts_until_min_hits_detections(tracker) -> None:
    floor = FloorCounting(tracker, [])
    confirming, confirmed = [], []
    for i in range(4):
        step = floor.count(_points(0.1 * i, [(1.0, 1.0 + 0.05 * i)]))
        confirming.append(floor.confirming)
        confirmed.append(len(step.tracks))
    assert confirming == [True, True, False, False]
    assert confirmed == [0, 0, 1, 1]
    assert floor.tracking


def _walk_across_and_stay(floor: FloorCounting) -> list[str]:
    """Someone walks from y = -1 m across the line y = 0 to y = 1 m and stays in view; the directions
    counted on the way."""
    counted = []
    for i in range(21):
        step = floor.count(_points(0.1 * i, [(0.0, -1.0 + 0.1 * i)]))
        counted += [crossing.direction for crossing in step.crossings]
    return counted


@pytest.mark.parametrize(
    "tracker",
    [KalmanTrackerConfig(type="kalman"), NearestTrackerConfig(type="nearest")],
    ids=["kalman", "nearest"],
)
@pytest.mark.parametrize(
    ("mode", "on_the_way", "at_the_end"), [("late", [], ["in"]), ("immediate", ["in"], [])]
)
def test_a_track_still_in_view_at_the_end_is_counted_once_by_either_mode(
    tracker, mode, on_the_way, at_the_end
):
    """`late` counts when a track ends: at the end of the source every track ends, so someone still in
    view is counted then, not lost; `immediate` counted them on the way and adds nothing."""
    line = LineConfig(name="door", start=(-2.0, 0.0), end=(2.0, 0.0), in_side="left", mode=mode)
    floor = FloorCounting(tracker, [line])
    assert floor.finish() is None, "nothing to end before the first step"
    assert _walk_across_and_stay(floor) == on_the_way
    final = floor.finish()
    assert final is not None and final.tracks is None
    assert [crossing.direction for crossing in final.crossings] == at_the_end
    assert final.t_s == pytest.approx(2.0)
    assert not floor.tracking, "every track ended"
    again = floor.finish()
    assert again is not None and again.crossings == (), "a track ends once"


@pytest.mark.parametrize(
    ("x_m", "line_watch_m", "watching"), [(0.5, 1.0, True), (1.5, 1.0, False), (0.5, 0.0, False)]
)
def test_someone_near_a_counting_line_is_watched_on_every_frame(x_m, line_watch_m, watching) -> None:
    """A shopper standing beside a line may walk across it between two looks a second apart: while
    anyone is within `line_watch_m` of a line (the segment, not its extension), the gate should let
    every frame through."""
    line = LineConfig(name="door", start=(0.0, -1.0), end=(0.0, 1.0), in_side="left")
    floor = FloorCounting(KalmanTrackerConfig(type="kalman", min_hits=3), [line])
    for i in range(4):
        floor.count(_points(0.1 * i, [(x_m, 0.0)]))
    assert not floor.confirming
    assert floor.watching(line_watch_m) is watching
    far_along = FloorCounting(KalmanTrackerConfig(type="kalman", min_hits=3), [line])
    for i in range(4):  # as far from the line's end as x_m from its middle: beyond the segment
        far_along.count(_points(0.1 * i, [(0.0, 1.0 + 1.1)]))
    assert not far_along.watching(line_watch_m)
