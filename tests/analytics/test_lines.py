"""Line counting: one count per passage, none for the failures peers are known for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from agent.analytics.lines import LineCounter
from agent.geometry.shapes import FloorLine
from agent.track.kalman import KalmanTracker
from agent.types import FloorPoints, Tracks

LINE = FloorLine("door", (0.0, 0.0), (4.0, 0.0), "left")  # "in" is y > 0


def run(
    paths: dict[int, list[tuple[float, float]]], hysteresis_m: float = 0.2, mode: str = "immediate"
) -> list[str]:
    """Feed per-track paths frame by frame; tracks end after their last point."""
    counter = LineCounter(LINE, hysteresis_m, mode)
    directions = []
    frames = max(len(p) for p in paths.values())
    for i in range(frames + 1):
        alive = {tid: p[i] for tid, p in paths.items() if i < len(p)}
        ended = tuple(tid for tid, p in paths.items() if i == len(p))
        tracks = Tracks(
            float(i),
            np.array(list(alive), dtype=np.int64),
            np.array(list(alive.values())).reshape(-1, 2),
            ended_ids=ended,
        )
        directions += [c.direction for c in counter.update(tracks)]
    return directions


def straight(x: float, y0: float, y1: float, steps: int = 20) -> list[tuple[float, float]]:
    return [(x, y) for y in np.linspace(y0, y1, steps)]


@pytest.mark.parametrize(
    "paths,expected",
    [
        ({1: straight(2.0, -1.0, 1.0)}, ["in"]),
        ({1: straight(2.0, 1.0, -1.0)}, ["out"]),
        ({1: straight(2.0, -1.0, 1.0), 2: straight(3.0, 1.0, -1.0)}, ["in", "out"]),
        # supervision #518/#210: walking past the end of the segment crosses only its extension.
        ({1: straight(5.0, -1.0, 1.0)}, []),
        ({1: straight(-0.5, 1.0, -1.0)}, []),
        # Jitter on the line never counts: stays inside the hysteresis band.
        ({1: [(2.0, 0.1 * (-1) ** i) for i in range(30)]}, []),
        # Steps over and comes back: no count.
        ({1: straight(2.0, -1.0, 0.15) + straight(2.0, 0.15, -1.0)}, []),
        # Stop-and-go on the line (OpenDataCam #204): one count, not many.
        (
            {
                1: straight(2.0, -1.0, -0.05)
                + [(2.0, 0.05 * (-1) ** i) for i in range(20)]
                + straight(2.0, 0.0, 1.0)
            },
            ["in"],
        ),
        # Crosses in, then later walks out again: two real passages.
        ({1: straight(2.0, -1.0, 1.0) + straight(2.5, 1.0, -1.0)}, ["in", "out"]),
        # Born on the in side: never crossed, never counted.
        ({1: straight(2.0, 0.5, 1.5)}, []),
        # First seen within the hysteresis (found only as they reached the line), then walks across.
        ({1: straight(2.0, 0.1, -1.0)}, ["out"]),
        ({1: straight(2.0, -0.15, 1.0)}, ["in"]),
        # First seen within the hysteresis, walks back to the side it was on: no passage.
        ({1: straight(2.0, 0.1, 1.0)}, []),
        ({1: straight(2.0, 0.1, 0.05) + straight(2.0, 0.05, 1.0)}, []),
    ],
    ids=[
        "in",
        "out",
        "both",
        "beyond-end",
        "before-start",
        "jitter",
        "turn-back",
        "stop-and-go",
        "in-then-out",
        "born-inside",
        "first-seen-on-line-walks-out",
        "first-seen-on-line-walks-in",
        "first-seen-on-line-walks-back",
        "first-seen-on-line-lingers-then-back",
    ],
)
def test_crossings(paths: dict[int, list[tuple[float, float]]], expected: list[str]) -> None:
    assert run(paths) == expected


def test_state_dies_with_track() -> None:
    counter = LineCounter(LINE, 0.2)
    counter.update(Tracks(0.0, np.array([7]), np.array([[1.0, -1.0]])))
    assert len(counter._state) == 1
    counter.update(Tracks(1.0, np.zeros(0, dtype=np.int64), np.zeros((0, 2)), ended_ids=(7,)))
    assert counter._state == {}


def test_negative_hysteresis_is_refused() -> None:
    with pytest.raises(ValueError, match="hysteresis_m is -0.1, should be >= 0"):
        LineCounter(LINE, -0.1)


@pytest.mark.parametrize(
    "start,end,side,message",
    [
        ((0, 0), (0, 0), "left", "same point"),
        ((0, 0), (float("nan"), 1), "left", "finite"),
        ((0, 0), (1, 0), "up", "expected 'left' or 'right'"),
    ],
)
def test_bad_line_is_refused(start, end, side, message) -> None:
    with pytest.raises(ValueError, match=message):
        FloorLine("x", start, end, side)


@pytest.mark.parametrize(
    "paths,expected",
    [
        ({1: straight(2.0, -1.0, 1.0)}, ["in"]),
        ({1: straight(2.0, 1.0, -1.0)}, ["out"]),
        # Back and forth at the door: in, out, in again -> one "in" when the track ends.
        ({1: straight(2.0, -1.0, 1.0) + straight(2.0, 1.0, -1.0) + straight(2.0, -1.0, 1.0)}, ["in"]),
        # In and back out: nets to nothing.
        ({1: straight(2.0, -1.0, 1.0) + straight(2.0, 1.0, -1.0)}, []),
        ({1: straight(5.0, -1.0, 1.0)}, []),
    ],
    ids=["in", "out", "back-and-forth", "in-and-out-cancel", "beyond-end"],
)
def test_late_mode_counts_net_direction_at_track_end(paths, expected) -> None:
    assert run(paths, mode="late") == expected


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode is 'sometimes'"):
        LineCounter(LINE, 0.2, mode="sometimes")


def test_identity_switches_at_the_line_never_count_one_person_many_times() -> None:
    """OpenDataCam #204: one object counted 15 times as its id kept changing on the line."""
    paths = {1: straight(2.0, -1.0, -0.05, 10)}
    for k in range(15):  # the person hovers on the line; every few frames the tracker gives a new id
        paths[2 + k] = [(2.0, 0.15 * (-1) ** (k + i)) for i in range(k * 4 + 10, k * 4 + 14)]
    paths[20] = straight(2.0, 0.05, 1.0, 10)
    assert len(run(paths)) <= 1
    assert len(run(paths, mode="late")) <= 1


@pytest.mark.parametrize("mode", ["immediate", "late"])
def test_a_line_at_the_image_edge_counts_a_person_seen_just_beyond_it(mode: str) -> None:
    """supervision #1838: a line near the image edge never counted, as the box never got past it.

    Here a track counts once it is `hysteresis_m` beyond the segment, however soon it is lost after.
    """
    assert run({1: straight(2.0, -1.0, 0.25, 13)}, mode=mode) == ["in"]


def test_unconfirmed_tracks_do_not_inflate_counts() -> None:
    """supervision #2578: 7 people counted as 97 as every flicker of a detection was counted.

    Seven people walk through; around the line, detections flicker in and out for a frame or two.
    Only confirmed tracks reach the counter.
    """
    rng = np.random.default_rng(7)
    tracker = KalmanTracker(min_hits=3)
    counter = LineCounter(LINE, 0.2)
    counted = []
    for i in range(200):
        t_s = i / 10
        people = [
            (0.5 * k + 0.3, -2.0 + 1.2 * (t_s - 2.0 * k)) for k in range(7) if 0 <= t_s - 2.0 * k <= 3.4
        ]
        flicker = rng.uniform([0.0, -0.6], [4.0, 0.6], size=(rng.poisson(0.5), 2))  # one frame each
        xy = np.array(people + flicker.tolist()).reshape(-1, 2)
        tracks = tracker.update(FloorPoints(t_s, xy, np.full(len(xy), 0.8)))
        counted += [c.direction for c in counter.update(tracks)]
    assert counted == ["in"] * 7


@pytest.mark.parametrize("judged_on", ["tracker and detections", "tracker alone"])
def test_someone_who_stops_short_of_the_hysteresis_is_not_carried_past_it(judged_on: str) -> None:
    """A shopper walks in at 1.45 m/s, stops 0.17 m past the line for 2 s, and walks back out: no
    passage. The filter's momentum carries the track 0.26 m past the line, beyond the 0.2 m
    hysteresis, while every detection says 0.17 m (`entrance` seed 10 at 60.5 s counted such a
    shopper in and out); judged on the tracker's positions alone, the line counts both."""
    tracker = KalmanTracker(min_hits=3)
    counter = LineCounter(LINE, 0.2)
    ys_m = [*np.arange(-1.5, 0.17, 0.145), *[0.17] * 20, *np.arange(0.17, -1.5, -0.145)]
    counted, furthest_m = [], -np.inf
    for i, y_m in enumerate(ys_m):
        tracks = tracker.update(FloorPoints(i / 10, np.array([[2.0, y_m]]), np.array([0.8])))
        furthest_m = tracks.positions_m[:, 1].max(initial=furthest_m)
        if judged_on == "tracker alone":
            tracks = replace(tracks, detected_m=None)
        counted += [c.direction for c in counter.update(tracks)]
    assert furthest_m > 0.2
    assert counted == ([] if judged_on == "tracker and detections" else ["in", "out"])


@pytest.mark.parametrize("side_from", ["first detection", "confirmation"])
def test_someone_first_found_at_the_line_is_counted_from_where_they_were_found(side_from: str) -> None:
    """A child hidden beside a parent is first found 0.05 m inside the door walking out at 1 m/s
    (`entrance` seed 14 at 83.0 s: 0.02 m); the track confirms on the third detection, already
    0.15 m outside, within the 0.2 m hysteresis. Started on the side its first detection was on,
    it counts `out` once firmly outside; started where it confirmed, it never changes side. The
    parent, found all along 0.4 m beside from 1.55 m inside, counts `out` either way; the child is
    first found 1.1 s after the tracker started, so its first detection tells which way it came
    (`Tracks.came_into_view`)."""
    tracker = KalmanTracker(min_hits=3, max_age_s=1.0)
    counter = LineCounter(LINE, 0.2)
    parent = [(2.4, y_m) for y_m in np.arange(1.55, -1.5, -0.1)]  # found all along, 0.4 m beside
    child = [(2.0, y_m) for y_m in np.arange(0.05, -1.0, -0.1)]  # found from 1.1 s, the parent's 12th frame
    counted, first_reported_m = [], None
    for i, parent_m in enumerate(parent):
        points_m = np.array([parent_m] + ([child[i - 11]] if 11 <= i < 11 + len(child) else []))
        tracks = tracker.update(FloorPoints(i / 10, points_m, np.full(len(points_m), 0.8)))
        at_child = np.abs(tracks.positions_m[:, 0] - 2.0) < 0.2
        if at_child.any() and first_reported_m is None:
            first_reported_m = float(tracks.positions_m[at_child][0, 1])
        if side_from == "confirmation":
            tracks = replace(tracks, born_m=None)
        counted += [c.direction for c in counter.update(tracks)]
    assert first_reported_m is not None and -0.2 < first_reported_m < 0
    assert counted == (["out", "out"] if side_from == "first detection" else ["out"])


@pytest.mark.parametrize(
    "found", ["as counting starts", "missed as counting starts", "with counting running"]
)
def test_someone_standing_at_the_line_as_counting_starts_is_on_neither_side(found: str) -> None:
    """A shopper stands 0.06 m outside the door for 1 s and walks in (`entrance` seed 15: 6.3 cm
    outside when the clip starts). Standing there as the tracker starts, or missed by its first
    detection and found 0.2 s later (within `max_age_s`, 1 s), they may have stood there all along:
    like the simulator's truth, the line takes no side for them until they are firmly on one, and
    counts nothing. Found there 1.1 s after the tracker started (someone else detected meanwhile),
    they were missed on their way to it and count `in`."""
    tracker = KalmanTracker(min_hits=3, max_age_s=1.0)
    counter = LineCounter(LINE, 0.2)
    counted = []
    looking = {"as counting starts": 0, "missed as counting starts": 2, "with counting running": 11}[found]
    for i in range(looking):
        counted += counter.update(
            tracker.update(FloorPoints(i / 10, np.array([[3.5, 2.0]]), np.array([0.8])))
        )
    start_s = looking / 10
    ys_m = [-0.06] * 10 + list(np.arange(-0.06, 1.0, 0.12))
    for i, y_m in enumerate(ys_m):
        tracks = tracker.update(FloorPoints(start_s + i / 10, np.array([[2.0, y_m]]), np.array([0.8])))
        counted += counter.update(tracks)
    assert [c.direction for c in counted] == ([] if found != "with counting running" else ["in"])


@pytest.mark.parametrize("started_at", ["first detection", "confirmation"])
def test_someone_walking_up_to_a_line_as_counting_starts_is_counted_from_where_they_were_found(
    started_at: str,
) -> None:
    """A shopper is 0.43 m outside the line as the tracker starts and walks in at 1.5 m/s (`checkout`
    seed 8 at 0.0 s: 0.47 m, confirmed 0.19 m outside); the track confirms on the third detection,
    about 0.17 m outside, within the 0.2 m hysteresis. Their first detection was firmly outside,
    which says which way they came: counted `in`. Started where the track confirmed, with no side
    (as for someone standing there), it is not."""
    tracker = KalmanTracker(min_hits=3)
    counter = LineCounter(LINE, 0.2)
    counted, confirmed_m = [], []
    for i, y_m in enumerate(np.arange(-0.43, 1.0, 0.15)):
        tracks = tracker.update(FloorPoints(i / 10, np.array([[2.0, y_m]]), np.array([0.8])))
        confirmed_m += tracks.positions_m[:, 1].tolist()
        if started_at == "confirmation":
            tracks = replace(tracks, born_m=tracks.positions_m)
        counted += [c.direction for c in counter.update(tracks)]
    assert -0.2 < confirmed_m[0] < 0
    assert counted == (["in"] if started_at == "first detection" else [])


@pytest.mark.parametrize("view", ["the camera's view", "no view"])
def test_someone_coming_into_view_at_a_line_is_on_neither_side(view: str) -> None:
    """Where a line reaches the picture's edge (x = 4.05 m here), someone walks into view 0.1 m inside
    it and on, out across it: they came from beyond the picture, past the segment's end, not through
    the door. Given the camera's view, the tracker says their first detection tells nothing of where
    they came from (`Tracks.came_into_view` False), and the line counts nothing; without it, `out`."""

    def in_view(points_m: np.ndarray) -> np.ndarray:
        return np.asarray(points_m)[:, 0] <= 4.05

    tracker = KalmanTracker(
        min_hits=3, max_age_s=1.0, in_view=in_view if view == "the camera's view" else None
    )
    counter = LineCounter(LINE, 0.2)
    tracker.update(FloorPoints(0.0, np.zeros((0, 2)), np.zeros(0)))  # counting running for 1.1 s
    counted = []
    for i in range(15):
        walker_m = np.array([[4.0 - 0.09 * i, 0.1 - 0.1 * i]])
        counted += counter.update(tracker.update(FloorPoints(1.1 + i / 10, walker_m, np.array([0.8]))))
    assert [c.direction for c in counted] == ([] if view == "the camera's view" else ["out"])


@pytest.mark.parametrize(("last_detected_y_m", "counted"), [(-0.15, []), (0.05, ["in"])])
def test_a_track_carried_across_a_line_by_its_prediction_alone_is_not_counted(
    last_detected_y_m: float, counted: list[str]
) -> None:
    """`busy` seed 19 at 40.4 s: a false track on a walker's body, last detected 0.15 m before the line,
    was shown at its prediction (`show_missed`) for three frames, carried 0.2 m past it, and counted
    `in`. A track no detection matched (`Tracks.missed`) takes a new side only if its last detection
    (`detected_m`) was on it: one last seen 0.05 m past the line, its head scored too faintly to renew
    it after that (`checkout` seed 12), still counts once its prediction is firmly past."""
    counter = LineCounter(LINE, 0.2)
    ys = [-1.0, -0.8, -0.6, -0.4, -0.2, last_detected_y_m, 0.12, 0.25, 0.38]
    directions = []
    for i, y in enumerate(ys):
        missed = i > 5
        tracks = Tracks(
            float(i),
            np.array([1]),
            np.array([[2.0, y]]),
            detected_m=np.array([[2.0, last_detected_y_m if missed else y]]),
            missed=np.array([missed]),
        )
        directions += [c.direction for c in counter.update(tracks)]
    directions += [
        c.direction for c in counter.update(Tracks(9.0, np.zeros(0, np.int64), np.zeros((0, 2)), (1,)))
    ]
    assert directions == counted


def test_distance_to_a_line_is_to_the_segment_not_its_extension() -> None:
    distances = LINE.distance_m(np.array([[2.0, 0.5], [-3.0, 0.0], [7.0, -4.0], [1.0, 0.0]]))
    np.testing.assert_allclose(distances, [0.5, 3.0, 5.0, 0.0])


@pytest.mark.parametrize("mode", ["immediate", "late"])
def test_a_crossing_is_timed_when_the_person_stepped_over(mode: str) -> None:
    """Someone who steps over the line, waits on it for 5 s, then walks on is counted once they are
    0.2 m past it, but timed at the step over, interpolated between updates (0.75 s here: from 0.3 m
    out at 0 s to 0.1 m in at 1 s), as the simulator's truth times a passage."""
    counter = LineCounter(LINE, 0.2, mode)
    path = [(2.0, -0.3)] + [(2.0, 0.1)] * 6 + [(2.0, 0.4), (2.0, 0.8)]
    found = []
    for i, xy in enumerate(path):
        found += counter.update(Tracks(float(i), np.array([1]), np.array([xy])))
    found += counter.update(Tracks(float(len(path)), np.zeros(0, np.int64), np.zeros((0, 2)), ended_ids=(1,)))
    assert [(c.direction, c.t_s) for c in found] == [("in", pytest.approx(0.75))]


def test_a_crossing_is_timed_from_the_track_s_own_last_update() -> None:
    """A track missing from some updates (unreported while the detector blinked) interpolates between
    its own last position and time and the new ones, not the previous update's time."""
    counter = LineCounter(LINE, 0.2)
    counter.update(Tracks(0.0, np.array([1]), np.array([[2.0, -0.5]])))
    counter.update(Tracks(1.0, np.zeros(0, np.int64), np.zeros((0, 2))))
    found = counter.update(Tracks(2.0, np.array([1]), np.array([[2.0, 0.5]])))
    assert [(c.direction, c.t_s) for c in found] == [("in", pytest.approx(1.0))]
