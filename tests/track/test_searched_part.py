"""Detection of part of the frame: tracks outside the searched part coast, those inside count a miss."""

from __future__ import annotations

import numpy as np
import pytest

from agent.track.kalman import KalmanTracker
from agent.track.nearest import NearestTracker
from agent.types import BoolArray, FloatArray, FloorPoints


def west_of(x_m: float):
    """The searched part: the floor west of `x_m` (as a region's projection would say)."""

    def searched(points_m: FloatArray) -> BoolArray:
        return np.asarray(points_m[:, 0] < x_m, dtype=bool)

    return searched


def points(t: float, xy: list[tuple[float, float]], searched=None) -> FloorPoints:
    return FloorPoints(t, np.array(xy, dtype=float).reshape(-1, 2), np.full(len(xy), 0.9), searched)


TRACKERS = {
    "kalman": lambda: KalmanTracker(min_hits=2, max_age_s=0.5),
    "nearest": lambda: NearestTracker(max_distance_m=0.8, min_hits=2, max_age_s=0.5),
}


@pytest.mark.parametrize("make", TRACKERS.values(), ids=TRACKERS.keys())
def test_a_person_outside_the_searched_part_keeps_their_track_however_long(make) -> None:
    """A shopper standing at the east shelf while someone walks in the west half: 5 s of searches
    of the west half alone (ten times `max_age_s`) neither end nor hide the shopper's track."""
    tracker = make()
    for i in range(4):  # both seen by whole-frame detections
        tracker.update(points(i * 0.1, [(-2.0, 0.0), (2.0, 0.0)]))
    tracks = tracker.update(points(0.4, [(-2.0, 0.0), (2.0, 0.0)]))
    shopper = int(tracks.ids[np.argmax(tracks.positions_m[:, 0])])
    for i in range(5, 55):
        walker = (-2.0 + 0.02 * i, 0.0)
        tracks = tracker.update(points(i * 0.1, [walker], west_of(0.0)))
        assert shopper in tracks.ids.tolist(), f"shopper's track gone at {i * 0.1:.1f} s"
        assert not tracks.ended_ids
    assert len(tracks) == 2


@pytest.mark.parametrize("make", TRACKERS.values(), ids=TRACKERS.keys())
def test_a_person_missed_inside_the_searched_part_ages_and_ends(make) -> None:
    tracker = make()
    for i in range(5):
        tracks = tracker.update(points(i * 0.1, [(-2.0, 0.0), (2.0, 0.0)]))
    west = int(tracks.ids[np.argmin(tracks.positions_m[:, 0])])
    ended: list[int] = []
    for i in range(5, 15):  # the west person left; only the west half is searched
        ended += tracker.update(points(i * 0.1, [], west_of(0.0))).ended_ids
    assert ended == [west]


def test_a_detection_just_outside_the_searched_part_feeds_its_track_instead_of_starting_another() -> None:
    """The detector keeps heads a little past the region's edge; one whose track is predicted just
    outside the searched part is matched to it, not made a second track (a double count)."""
    tracker = KalmanTracker(min_hits=2, max_age_s=0.5)
    for i in range(5):
        tracks = tracker.update(points(i * 0.1, [(0.1, 0.0)]))
    [track_id] = tracks.ids.tolist()
    for i in range(5, 10):
        tracks = tracker.update(points(i * 0.1, [(0.1, 0.0)], west_of(0.0)))
        assert tracks.ids.tolist() == [track_id]
    assert len(tracker) == 1
