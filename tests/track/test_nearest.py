"""The nearest-neighbour tracker on the floor."""

from __future__ import annotations

import numpy as np
import pytest

from agent.track.nearest import NearestTracker
from agent.types import FloorPoints


def points(t: float, *xy: tuple[float, float]) -> FloorPoints:
    return FloorPoints(t, np.array(xy, dtype=float).reshape(-1, 2), np.ones(len(xy)))


def test_two_people_keep_their_ids_and_are_confirmed_after_min_hits() -> None:
    tracker = NearestTracker(max_distance_m=0.5, min_hits=3, max_age_s=1.0)
    seen = []
    for i in range(10):
        t = i * 0.1
        tracks = tracker.update(points(t, (0.1 * i, 0.0), (3.0 - 0.1 * i, 1.0)))
        seen.append(tracks.ids.tolist())
    assert seen[0] == [] and seen[1] == [], "unconfirmed tracks are not reported (supervision #2578)"
    assert all(ids == seen[2] for ids in seen[2:]) and len(seen[2]) == 2


def test_single_flicker_never_becomes_a_track() -> None:
    tracker = NearestTracker(max_distance_m=0.5, min_hits=3, max_age_s=0.3)
    assert len(tracker.update(points(0.0, (1.0, 1.0)))) == 0
    for i in range(1, 10):
        assert len(tracker.update(points(i * 0.1))) == 0


def test_track_ends_after_max_age_and_is_reported_ended() -> None:
    tracker = NearestTracker(max_distance_m=0.5, min_hits=2, max_age_s=0.5)
    for i in range(3):
        tracks = tracker.update(points(i * 0.1, (0.0, 0.0)))
    [track_id] = tracks.ids.tolist()
    ended = []
    for i in range(3, 12):
        ended += tracker.update(points(i * 0.1)).ended_ids
    assert ended == [track_id]
    assert tracker._tracks == [], "state dies with the track"


def test_gate_splits_a_jump_into_a_new_track() -> None:
    tracker = NearestTracker(max_distance_m=0.5, min_hits=1, max_age_s=1.0)
    first = tracker.update(points(0.0, (0.0, 0.0))).ids.tolist()
    second = tracker.update(points(0.1, (2.0, 0.0))).ids.tolist()
    assert first != second[-1:]


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"max_distance_m": 0.0}, "max_distance_m is 0.0, should be > 0"),
        ({"min_hits": 0}, "min_hits is 0, should be >= 1"),
        ({"max_age_s": -1.0}, "max_age_s is -1.0, should be > 0"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, float], message: str) -> None:
    arguments = {"max_distance_m": 0.5, "min_hits": 2, "max_age_s": 1.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        NearestTracker(**arguments)  # type: ignore[arg-type]
