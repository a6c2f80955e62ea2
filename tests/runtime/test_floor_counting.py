"""FloorCounting tells the motion gate whether anyone is tracked, tentative tracks included, whether a
track awaits confirmation, and whether someone is near a counting line."""

from __future__ import annotations

import numpy as np
import pytest

from agent.analytics.config import LineConfig
from agent.geometry.projector import CameraProjector
from agent.runtime.counting import FloorCounting
from agent.sim.scenarios import SCENARIOS
from agent.track.config import KalmanTrackerConfig, NearestTrackerConfig
from agent.types import Detections, FloorPoints

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


def test_with_heights_read_people_stand_where_they_are_and_the_tracker_keeps_its_view() -> None:
    """A rendered `night` frame sequence (evaluation seed 8: a 1.94 m cleaner) with the truth's head tops
    as detections: with the shipped height model, the reported tracks stand nearer the people's feet
    than the head tops taken to the floor at 1.7 m do, `seen_tracks` are those 1.7 m positions as
    tracked, and the lines count on them, as without heights."""
    import itertools
    import sys
    from pathlib import Path

    from agent.detect.person_height import PersonHeights
    from agent.geometry.projector import CameraProjector
    from agent.types import Detections

    models = Path(__file__).resolve().parents[2] / "models"
    sys.path.insert(0, str(models))
    from simdata import evaluation_clip

    from agent.config import load_config

    tracker = KalmanTrackerConfig(type="kalman", min_hits=2, measurement_m=0.05)
    lines = load_config(models.parent / "config" / "scenarios" / "night.toml").lines
    floor = FloorCounting(tracker, lines, heights=PersonHeights(models / "footfall_height.onnx", every=1))
    without_heights = FloorCounting(tracker, lines)
    counted: list[tuple[str, str]] = []
    counted_without: list[tuple[str, str]] = []
    placed_errors, plane_errors = [], []
    for k, frame in enumerate(
        itertools.islice(evaluation_clip("night", 8, fps=5.0, width_px=480, height_px=360), 150)
    ):
        projector = CameraProjector(frame.camera, 1.7)
        seen = frame.in_view
        detections = Detections(k / 5.0, frame.heads_px[seen], np.full(int(seen.sum()), 0.9))
        step = floor.count_detections(k / 5.0, detections, projector, frame.image)
        counted += [(c.line, c.direction) for c in step.crossings]
        plain = without_heights.count_detections(k / 5.0, detections, projector, frame.image)
        counted_without += [(c.line, c.direction) for c in plain.crossings]
        if step.tracks is None or not len(step.tracks) or step.tracks.heights_m is None:
            continue
        assert step.seen_tracks is not None and step.seen_tracks.ids.tolist() == step.tracks.ids.tolist()
        for placed, at_plane, height in zip(
            step.tracks.positions_m, step.seen_tracks.positions_m, step.tracks.heights_m, strict=True
        ):
            if np.isnan(height):
                assert placed == pytest.approx(at_plane)  # not read three times yet: where tracked
                continue
            feet = frame.floor_m[seen][np.argmin(np.hypot(*(frame.floor_m[seen] - placed).T))]
            placed_errors.append(float(np.hypot(*(placed - feet))))
            plane_errors.append(float(np.hypot(*(at_plane - feet))))
    assert len(placed_errors) >= 50
    assert np.median(placed_errors) < 0.7 * np.median(plane_errors)
    # Lines count where the tracker follows people, as without heights.
    assert counted == counted_without and counted


@pytest.mark.parametrize(("body_within_m", "counts"), [(0.0, ["out", "out"]), (0.25, ["out"])])
def test_a_camera_tells_the_tracker_where_bodies_lie(body_within_m: float, counts: list[str]) -> None:
    """A shopper walks towards `busy`'s fisheye (4.5 m up) across a line, and the picture also holds a
    peak on their legs (0.4 m up) ahead of them: through the camera's calibration the tracker knows
    that peak lies on their body, and with `body_within_m` counts the shopper once."""
    camera = SCENARIOS["busy"].camera.model(640, 480)
    projector = CameraProjector(camera, 1.7)
    line = LineConfig(name="centre_aisle", start=(-0.8, 1.4), end=(0.8, 1.4), in_side="left")
    tracker = KalmanTrackerConfig(type="kalman", min_separation_m=0.2, body_within_m=body_within_m)
    floor = FloorCounting(tracker, [line], projector)
    crossings = []
    for i in range(50):
        head_m = np.array([[-0.3, 4.0 - 1.4 * i / 15]])
        pixels = [camera.floor_to_pixels(head_m, 1.7)] + (
            [camera.floor_to_pixels(head_m, 0.4)] if i >= 5 else []
        )
        scores = np.array([0.95, 0.65][: len(pixels)])
        step = floor.count_detections(i / 15, Detections(i / 15, np.concatenate(pixels), scores), projector)
        crossings += [crossing.direction for crossing in step.crossings]
    assert crossings == counts
