"""A peak on a walker's own body: where the camera draws a body, and the track such peaks feed."""

from __future__ import annotations

import numpy as np
import pytest

from agent.analytics.lines import LineCounter
from agent.geometry.shapes import FloorLine
from agent.sim.scenarios import SCENARIOS
from agent.track.body import BodyLines
from agent.track.kalman import KalmanTracker
from agent.types import FloorPoints, Tracks

HEAD_M = 1.7
# `busy`'s fisheye, 4.5 m up above (0, 0), as the simulator renders it.
BUSY = SCENARIOS["busy"].camera.model(640, 480)
BUSY_BODIES = BodyLines(BUSY.position_m, HEAD_M)


def seen_at_head_height(people_m: np.ndarray, height_m: float) -> np.ndarray:
    """Where a point of each person (N, 2) m `height_m` up lands when the picture is read at head height,
    through the camera model itself: into pixels and back."""
    return np.asarray(BUSY.pixels_to_floor(BUSY.floor_to_pixels(people_m, height_m), HEAD_M))


@pytest.mark.parametrize("height_m", [0.25, 0.5, 0.9, 1.2, 1.45])
def test_a_point_of_someones_body_lies_on_their_body_line(height_m: float) -> None:
    """Eight people round the camera at 1-3 m; a point of each one's body, from the shins to the shoulders,
    placed as a head would be, lies on that person's body line and no one else's."""
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    distances_m = np.linspace(1.0, 3.0, 8)
    people_m = np.stack([distances_m * np.cos(angles), distances_m * np.sin(angles)], axis=1)
    bodies_m = seen_at_head_height(people_m, height_m)
    assert (np.hypot(*(bodies_m - people_m).T) > 0.05).all()  # the fisheye does move them
    assert BUSY_BODIES.bearers(bodies_m, people_m, 0.25).tolist() == list(range(8))
    assert BUSY_BODIES.on_bodies(bodies_m, people_m, 0.25).all()


@pytest.mark.parametrize(
    ("height_m", "across_m", "on"),
    [(1.7, 0.0, False), (0.05, 0.0, False), (0.6, 0.2, True), (0.6, 0.3, False)],
)
def test_the_head_the_feet_and_a_point_beside_the_body_are_not_on_it(
    height_m: float, across_m: float, on: bool
) -> None:
    """The head itself, the feet (under 0.2 m) and a point 0.3 m across the line are not on the body line;
    0.2 m across is, within 0.25 m."""
    person_m = np.array([[0.0, 2.5]])
    point_m = seen_at_head_height(person_m, height_m) + np.array([[across_m, 0.0]])
    assert BUSY_BODIES.bearers(point_m, person_m, 0.25).tolist() == [0 if on else -1]


def test_the_nearest_body_line_bears_a_point_and_a_low_camera_sees_none() -> None:
    people_m = np.array([[0.1, 3.0], [-0.1, 3.0], [2.0, 0.0]])
    point_m = seen_at_head_height(people_m[:1], 0.8)
    assert BUSY_BODIES.bearers(point_m, people_m, 0.25).tolist() == [0]
    low_camera = BodyLines((0.0, 0.0, 1.4), HEAD_M)
    assert low_camera.bearers(point_m, people_m, 0.25).tolist() == [-1]
    assert BUSY_BODIES.bearers(np.zeros((0, 2)), people_m, 0.25).tolist() == []
    assert BUSY_BODIES.bearers(point_m, np.zeros((0, 2)), 0.25).tolist() == [-1]


def walk(tracker: KalmanTracker, frames: list[list[tuple[tuple[float, float], float]]]) -> list[Tracks]:
    """Feed each frame's (position (m), score) detections at 15 frames a second."""
    return [
        tracker.update(
            FloorPoints(
                i / 15,
                np.array([at for at, _ in frame], dtype=float).reshape(-1, 2),
                np.array([score for _, score in frame], dtype=float),
            )
        )
        for i, frame in enumerate(frames)
    ]


def busy_tracker(body_within_m: float) -> KalmanTracker:
    return KalmanTracker(
        min_hits=3, min_separation_m=0.2, body_within_m=body_within_m, body_lines=BUSY_BODIES
    )


CENTRE_AISLE = FloorLine("centre_aisle", (-0.8, 1.4), (0.8, 1.4), "left")


def counted(reports: list[Tracks]) -> list[str]:
    counter = LineCounter(CENTRE_AISLE, 0.2)
    return [crossing.direction for tracks in reports for crossing in counter.update(tracks)]


def shopper_and_legs(frames: int = 50) -> list[list[tuple[tuple[float, float], float]]]:
    """A shopper walks towards the camera at 1.4 m/s from (-0.3, 4) m, across `centre_aisle`; from the
    fifth frame the model also scores a peak on their legs (0.4 m up) at 0.65, as at `busy` seed 15."""
    out = []
    for i in range(frames):
        head_m = np.array([[-0.3, 4.0 - 1.4 * i / 15]])
        frame = [((float(head_m[0, 0]), float(head_m[0, 1])), 0.95)]
        if i >= 5:
            legs_m = seen_at_head_height(head_m, 0.4)[0]
            frame.append(((float(legs_m[0]), float(legs_m[1])), 0.65))
        out.append(frame)
    return out


def test_a_track_on_a_walkers_legs_is_not_reported_and_counts_nothing() -> None:
    """The peak on the shopper's legs, 0.7 times their distance from below the camera, walks ahead of
    them across the line: followed as a person, it is counted too; on their body line, it is not
    reported, and only the shopper is counted."""
    without = walk(busy_tracker(0.0), shopper_and_legs())
    assert max(len(tracks) for tracks in without) == 2
    assert counted(without) == ["out", "out"]
    reports = walk(busy_tracker(0.25), shopper_and_legs())
    assert {track_id for tracks in reports for track_id in tracks.ids.tolist()} == {1}
    assert counted(reports) == ["out"]


def test_someone_walking_in_front_of_another_is_reported_from_where_their_ways_part() -> None:
    """From the sixth frame the model finds someone 0.8 m in front of a walking shopper, both walking
    towards the camera on its line of sight (on the shopper's body line); at the fourteenth they turn
    off along +x, across a line at x = 0.6 m. From the detection that left the body line (0.28 m across
    it, two frames later) on they are reported, starting there, and counted."""
    frames = []
    for i in range(50):
        behind_m = (0.0, 4.0 - 1.4 * i / 15)
        front_m = (0.0, behind_m[1] - 0.8) if i < 14 else (1.4 * (i - 13) / 15, 4.0 - 1.4 * 13 / 15 - 0.8)
        frames.append([(behind_m, 0.95)] + ([(front_m, 0.95)] if i >= 6 else []))
    reports = walk(busy_tracker(0.25), frames)
    first_shown = next(k for k, tracks in enumerate(reports) if 2 in tracks.ids.tolist())
    assert first_shown == 16
    shown = reports[first_shown]
    assert shown.born_m is not None
    assert shown.born_m[shown.ids.tolist().index(2)].tolist() == pytest.approx(
        [3 * 1.4 / 15, 1.9867], abs=1e-3
    )
    side_line = FloorLine("aisle", (0.6, 0.0), (0.6, 5.0), "left")
    counter = LineCounter(side_line, 0.2)
    assert [c.direction for tracks in reports for c in counter.update(tracks)] == ["out"]


def test_a_track_that_starts_off_any_body_is_never_taken_for_one() -> None:
    """Someone found first beside a shopper's way, who then walks onto their body line, is reported
    throughout: only a new track is taken for a body."""
    frames = []
    for i in range(40):
        head_m = (0.0, 4.0 - 1.4 * i / 15)
        other_m = (1.0 - 0.1 * i, 2.0) if i < 10 else (0.0, head_m[1] * 0.75)
        frames.append([(head_m, 0.95)] + ([(other_m, 0.9)] if i >= 6 else []))
    reports = walk(busy_tracker(0.25), frames)
    assert all(2 in tracks.ids.tolist() for tracks in reports[8:])


def test_a_body_is_looked_for_only_along_someone_walking() -> None:
    """Beside a shopper who stands, someone else may stand on their body line for a while: reported."""
    standing_m = (0.0, 3.0)
    beside_m = tuple(seen_at_head_height(np.array([standing_m]), 0.9)[0].tolist())
    frames = [[(standing_m, 0.95)] + ([(beside_m, 0.9)] if i >= 5 else []) for i in range(20)]
    reports = walk(busy_tracker(0.25), frames)
    assert len(reports[-1]) == 2


def test_body_within_m_is_checked() -> None:
    with pytest.raises(ValueError, match="body_within_m is -0.1"):
        KalmanTracker(body_within_m=-0.1)
