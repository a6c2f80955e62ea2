"""Appearance: six colour numbers per person, sampled from real rendered frames, and how the tracker uses them."""

from __future__ import annotations

import functools
import json
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import pytest

from agent.geometry.calibration_file import load_calibration
from agent.geometry.camera import CameraModel
from agent.sim.figures import draw_people
from agent.sim.people import Appearance, Person
from agent.sources import build_source
from agent.sources.config import FileSourceConfig
from agent.track.appearance import APPEARANCE_SIZE, AppearanceSampler
from agent.track.kalman import KalmanTracker
from agent.types import Detections, FloorPoints

ROOT = Path(__file__).resolve().parents[2]
RED, BLUE = (0.5, 0.7, 0.6, 0.4, 0.7, 0.6), (0.3, 0.5, 0.4, 0.5, 0.5, 0.3)  # Lab of hair and shoulders
PINK = (0.5, 0.7, 0.6, 0.4, 0.55, 0.47)  # RED's hair, another top: 0.2 from RED, below the veto's 0.3


def looks_like(t: float, people: list[tuple[tuple[float, float], tuple[float, ...]]]) -> FloorPoints:
    """Confident detections at floor points with their descriptors."""
    xy = np.array([p for p, _ in people], dtype=float).reshape(-1, 2)
    looks = np.array([look for _, look in people], dtype=float).reshape(-1, APPEARANCE_SIZE)
    return FloorPoints(t, xy, np.full(len(xy), 0.9), looks)


@functools.cache
def busy_clip() -> tuple[list[np.ndarray], list[list[list[float]]], CameraModel]:
    """The committed `busy` clip, read once: its frames (BGR), per frame the people whose head is in the
    picture (the truth's rows: id, x, y, head u, head v, ...), and its camera at the frames' size."""
    truth = json.loads((ROOT / "sim_videos/busy.truth.json").read_text(encoding="utf-8"))
    camera = load_calibration(ROOT / "config/scenarios/busy.calibration.json")
    source = build_source(FileSourceConfig(type="file", path=ROOT / "sim_videos/busy.mp4", realtime=False))
    try:
        frames = [frame.image for frame in source.frames()]
    finally:
        source.close()
    in_view = [[p for p in everyone if p[3] is not None] for _, everyone in truth["frames"]]
    return frames, in_view, camera.resized(truth["width_px"], truth["height_px"])


def heads_px(people: list[list[float]]) -> np.ndarray:
    """The head pixels (N, 2) of truth rows."""
    return np.array([[p[3], p[4]] for p in people], dtype=float).reshape(-1, 2)


def busy_clip_descriptors(frames: int) -> list[dict[int, tuple[np.ndarray, np.ndarray]]]:
    """Per frame of the committed `busy` clip: person id -> (descriptor, floor position m), from its truth."""
    images, in_view, camera = busy_clip()
    sampler = AppearanceSampler(camera)
    described = []
    for image, people in zip(images[:frames], in_view, strict=False):
        looks = sampler.describe(image, heads_px(people))
        described.append({p[0]: (looks[i], np.array(p[1:3])) for i, p in enumerate(people)})
    return described


def test_a_person_looks_alike_from_frame_to_frame_and_unlike_the_neighbours_in_a_rendered_crowd() -> None:
    described = busy_clip_descriptors(frames=40)
    own, nearest_other = [], []
    for now, later in pairwise(described):
        for person, (look, position_m) in now.items():
            if person not in later or np.isnan(look).any():
                continue
            neighbours = [
                other_look
                for other, (other_look, other_m) in later.items()
                if other != person
                and np.linalg.norm(other_m - position_m) < 1.0
                and not np.isnan(other_look).any()
            ]
            if neighbours:
                own.append(float(np.linalg.norm(later[person][0] - look)))
                nearest_other.append(min(float(np.linalg.norm(n - look)) for n in neighbours))
    assert len(own) > 800, "the crowd gives many people with a neighbour within 1 m"
    assert np.median(own) < 0.06
    assert np.median(nearest_other) > 0.12
    assert np.mean(np.array(own) < np.array(nearest_other)) > 0.9


def test_a_person_half_outside_the_image_has_no_descriptor_and_a_grey_frame_has_one() -> None:
    """A head top 40 px left of the picture: its head's middle, 0.1 m lower, is seen nearer the middle
    of the picture but still outside it (the shoulders, further in, are inside)."""
    camera = load_calibration(ROOT / "config/scenarios/entrance.calibration.json")
    sampler = AppearanceSampler(camera)
    image = np.full((camera.height_px, camera.width_px, 3), 90, dtype=np.uint8)
    looks = sampler.describe(image, np.array([[camera.width_px / 2, camera.height_px / 2], [-40.0, 240.0]]))
    assert looks.shape == (2, APPEARANCE_SIZE)
    assert np.isfinite(looks[0]).all() and np.isnan(looks[1]).all()
    grey = sampler.describe(image[:, :, 0], np.array([[100.0, 100.0]]))
    np.testing.assert_allclose(grey, looks[:1], atol=1e-9)
    with pytest.raises(ValueError, match=r"image is 10x10 px, the calibration 640x480 px"):
        sampler.describe(np.zeros((10, 10, 3), np.uint8), np.array([[1.0, 1.0]]))


@pytest.mark.parametrize(
    ("weight_m", "other", "kept"),
    [(0.0, BLUE, False), (2.0, BLUE, True), (0.0, PINK, False), (2.0, PINK, True)],
)
def test_two_people_who_step_past_each_other_unseen_keep_their_ids_by_their_looks(
    weight_m, other, kept
) -> None:
    """Both missed for 0.3 s while they step past each other: by distance alone each track takes the other.

    With BLUE the wrong pairs differ by more than the veto's 0.3; with PINK only the weight decides.
    """
    tracker = KalmanTracker(min_hits=2, measurement_m=0.15, appearance_weight_m=weight_m)
    for i in range(6):  # standing 0.6 m apart
        tracks = tracker.update(looks_like(0.1 * i, [((0.0, 0.0), RED), ((0.6, 0.0), other)]))
    red_id, other_id = tracks.ids.tolist()
    for k in range(8):  # from 0.8 s, seen again past each other, walking on apart at 1.2 m/s
        red, blue = (0.35 + 0.12 * k, 0.0), (0.25 - 0.12 * k, 0.0)
        tracks = tracker.update(looks_like(0.8 + 0.1 * k, [(red, RED), (blue, other)]))
    ids = dict(zip(tracks.ids.tolist(), tracks.positions_m[:, 0].tolist(), strict=True))
    assert set(ids) == {red_id, other_id}
    assert (ids[red_id] > ids[other_id]) is kept


GREEN = (0.6, 0.3, 0.7, 0.6, 0.3, 0.7)


@pytest.mark.parametrize(("look", "taken_by"), [(GREEN, None), (RED, "red"), (BLUE, "blue")])
def test_a_detection_two_tracks_want_goes_to_neither_unless_it_looks_like_one(look, taken_by) -> None:
    """Two people 0.4 m apart; one detection between them, a little nearer blue: a third person's, or
    one of theirs."""
    tracker = KalmanTracker(min_hits=2, measurement_m=0.15, appearance_weight_m=2.0)
    for i in range(6):
        tracks = tracker.update(looks_like(0.1 * i, [((0.0, 0.0), RED), ((0.4, 0.0), BLUE)]))
    red_id, blue_id = tracks.ids.tolist()
    tracker.update(looks_like(0.6, [((0.22, 0.0), look)]))  # a little nearer blue
    matched = {name for name, row in (("red", 0), ("blue", 1)) if tracker._table.matched_now[row]}
    assert tracker._table.ids[:2].tolist() == [red_id, blue_id]
    assert matched == (set() if taken_by is None else {taken_by})


def test_a_lone_track_follows_its_lone_detection_whatever_the_light_does_to_its_colours() -> None:
    tracker = KalmanTracker(min_hits=2, appearance_weight_m=2.0)
    for i in range(6):
        tracks = tracker.update(looks_like(0.1 * i, [((0.1 * i, 0.0), RED)]))
    [walker_id] = tracks.ids.tolist()
    lights_on = tuple(min(1.0, v + 0.4) for v in RED)  # every colour far brighter
    for i in range(6, 10):
        assert tracker.update(looks_like(0.1 * i, [((0.1 * i, 0.0), lights_on)])).ids.tolist() == [walker_id]


@pytest.mark.parametrize(("look", "same_track"), [(RED, True), (BLUE, False)])
def test_a_lost_person_is_found_again_outside_the_uncertainty_gate_only_if_they_look_the_same(
    look, same_track
) -> None:
    """A shopper missed for a detection turns aside: 0.5 m from the prediction, far outside its gate."""
    tracker = KalmanTracker(min_hits=2, measurement_m=0.05, appearance_weight_m=2.0)
    for i in range(30):
        tracks = tracker.update(looks_like(0.1 * i, [((0.1 * i, 0.0), RED)]))
    [walker_id] = tracks.ids.tolist()
    tracker.update(looks_like(3.0, []))
    tracks = tracker.update(looks_like(3.1, [((2.9, 0.45), look)]))  # predicted at (3.1, 0)
    tracks = tracker.update(looks_like(3.2, [((2.9, 0.55), look)]))
    if same_track:
        assert tracks.ids.tolist() == [walker_id]
    else:
        assert walker_id not in tracks.ids.tolist()


def test_a_track_predicted_outside_the_picture_is_not_found_again_by_its_looks() -> None:
    """A shopper walks out at the picture's edge; another, dressed alike, walks in 0.5 m beside."""

    def in_view(points_m: np.ndarray) -> np.ndarray:
        return np.asarray(points_m)[:, 0] < 1.0

    tracker = KalmanTracker(min_hits=2, appearance_weight_m=2.0, in_view=in_view)
    for i in range(10):
        tracks = tracker.update(looks_like(0.1 * i, [((0.1 * i, 0.0), RED)]))
    [walker_id] = tracks.ids.tolist()
    seen = set()
    for i in range(5):
        seen |= set(tracker.update(looks_like(1.0 + 0.1 * i, [((0.95 - 0.1 * i, 0.45), RED)])).ids.tolist())
    assert seen and walker_id not in seen


def test_descriptors_travel_with_their_detections_to_the_floor_and_are_checked() -> None:
    camera = load_calibration(ROOT / "config/scenarios/busy.calibration.json")
    from agent.geometry.projector import CameraProjector

    projector = CameraProjector(camera, 1.7)
    outside_the_fisheye = (1.0, 1.0)
    detections = Detections(
        0.0,
        np.array([outside_the_fisheye, (camera.cx, camera.cy)]),
        np.array([0.9, 0.8]),
        appearance=np.array([BLUE, RED]),
    )
    on_floor = projector.project(detections)
    assert on_floor.appearance is not None
    np.testing.assert_array_equal(on_floor.appearance, [RED])
    with pytest.raises(
        ValueError, match=r"parallel arrays must have the same length, got scores=2, appearance=1"
    ):
        Detections(0.0, np.zeros((2, 2)), np.ones(2), appearance=np.zeros((1, 6)))
    with pytest.raises(ValueError, match=r"Detections.appearance: expected finite values, got infinity"):
        Detections(0.0, np.zeros((1, 2)), np.ones(1), appearance=np.full((1, 6), np.inf))


def test_the_median_counts_only_the_samples_inside_the_image() -> None:
    from agent.track.appearance import _median_inside

    rng = np.random.default_rng(3)
    values = rng.integers(0, 256, (40, 17, 3)).astype(np.uint8)
    inside = rng.random((40, 17)) > 0.4
    inside[5] = False
    expected = [np.median(v[i], axis=0) if i.any() else v[0] for v, i in zip(values, inside, strict=True)]
    np.testing.assert_allclose(_median_inside(values, inside), expected)


def test_what_a_person_looks_like_is_forgotten_with_their_track() -> None:
    tracker = KalmanTracker(min_hits=2, max_age_s=0.3, appearance_weight_m=2.0)
    for i in range(5):
        assert not tracker.update(looks_like(0.1 * i, [((0.1 * i, 0.0), RED)])).ended_ids
    for i in range(5, 10):
        tracks = tracker.update(looks_like(0.1 * i, []))
        if tracks.ended_ids:
            break
    assert tracks.ended_ids and len(tracker) == 0
    assert tracker._table.appearance.shape[0] == 0, "no descriptor outlives its track"


def test_floor_counting_gives_the_tracker_each_persons_colours_from_the_frame_with_a_camera(caplog) -> None:
    from agent.geometry.projector import CameraProjector
    from agent.geometry.scale import ScaleProjector
    from agent.runtime.counting import FloorCounting
    from agent.track.config import KalmanTrackerConfig

    images, in_view, camera = busy_clip()
    people = in_view[0]
    heads = Detections(0.0, heads_px(people), np.full(len(people), 0.9))
    tracker = KalmanTrackerConfig(type="kalman", appearance_weight_m=2.0)
    floor = FloorCounting(tracker, [])
    floor.count_detections(0.0, heads, CameraProjector(camera, 1.7), images[0])
    looks = floor._tracker._table.appearance  # type: ignore[attr-defined]
    assert looks.shape == (len(people), APPEARANCE_SIZE)
    assert np.isfinite(looks).all(axis=1).mean() > 0.9, "most heads are well inside the picture"

    scaled = FloorCounting(tracker, [])
    for t_s in (0.0, 0.1):
        scaled.count_detections(t_s, heads, ScaleProjector(0.01, (0.0, 0.0)), images[0])
    assert scaled._tracker._table.appearance.shape[1] == 0  # type: ignore[attr-defined]
    warnings = [r for r in caplog.records if "appearance needs a camera calibration" in r.getMessage()]
    assert len(warnings) == 1, "said once, not every frame"


def test_a_detection_whose_colours_are_unknown_does_not_beat_a_nearer_one_that_looks_right() -> None:
    """A neighbour half out of the picture has no descriptor; the person's own detection, nearer,
    differs from the track's look by a usual frame-to-frame change."""
    tracker = KalmanTracker(min_hits=2, appearance_weight_m=2.0)
    for i in range(10):
        tracks = tracker.update(looks_like(0.1 * i, [((0.0, 0.0), RED)]))
    [red_id] = tracks.ids.tolist()
    own = tuple(v + 0.015 for v in RED)  # 0.037 from RED
    unknown = (float("nan"),) * APPEARANCE_SIZE
    tracks = tracker.update(looks_like(1.0, [((0.08, 0.0), own), ((0.0, 0.11), unknown)]))
    [position_m] = tracks.positions_m[tracks.ids == red_id]
    assert position_m[0] > 0.02 and abs(position_m[1]) < 0.02, "the track moved towards its own detection"


def test_a_track_looks_like_a_moving_average_of_its_detections() -> None:
    tracker = KalmanTracker(min_hits=2, appearance_weight_m=2.0)
    tracker.update(looks_like(0.0, [((0.0, 0.0), RED)]))
    tracker.update(looks_like(0.1, [((0.0, 0.0), PINK)]))
    expected = np.add(
        RED, 0.2 * np.subtract(PINK, RED)
    )  # the first look as it is, then a fifth of each new one
    np.testing.assert_allclose(tracker._table.appearance[0], expected)
    tracker.update(looks_like(0.2, [((0.0, 0.0), (float("nan"),) * APPEARANCE_SIZE)]))
    np.testing.assert_allclose(
        tracker._table.appearance[0], expected, err_msg="a look not seen changes nothing"
    )


def _tight_group_under_lights(forget_at_switch: bool) -> set[int]:
    """Twelve people 0.3 m apart walk on; at frame 20 the lights make everyone's colours 0.35 brighter.
    The ids shown over 40 frames."""
    rng = np.random.default_rng(1)
    start = np.c_[np.arange(12) % 4 * 0.3, np.arange(12) // 4 * 0.3]
    looks = rng.uniform(0.3, 0.6, (12, APPEARANCE_SIZE))
    tracker = KalmanTracker(min_hits=2, measurement_m=0.05, min_separation_m=0.3, appearance_weight_m=2.0)
    shown: set[int] = set()
    for i in range(40):
        if i == 20 and forget_at_switch:
            tracker.forget_appearance()
        now = np.clip(looks + (0.35 if i >= 20 else 0.0) + rng.normal(0, 0.01, looks.shape), 0, 1)
        xy = start + np.array([0.1 * i, 0.0]) + rng.normal(0, 0.02, (12, 2))
        shown |= set(tracker.update(FloorPoints(0.1 * i, xy, np.full(12, 0.9), now)).ids.tolist())
    return shown


def test_when_the_light_changes_the_tracks_forget_their_looks_and_keep_their_people() -> None:
    assert len(_tight_group_under_lights(forget_at_switch=True)) == 12
    assert len(_tight_group_under_lights(forget_at_switch=False)) > 12, "remembered looks veto everyone"


def test_a_light_change_is_told_from_people_walking_in_a_rendered_clip() -> None:
    frames, _, camera = busy_clip()
    sampler = AppearanceSampler(camera)
    assert len(frames) == 150
    assert not any(sampler.light_changed(image) for image in frames), (
        "40-60 people walking are no light change"
    )
    brighter = np.clip(frames[-1].astype(np.int16) * 5 // 4, 0, 255).astype(np.uint8)  # a quarter brighter
    assert sampler.light_changed(brighter)
    assert not sampler.light_changed(brighter)


def test_floor_counting_has_the_tracker_learn_everyones_looks_anew_when_the_light_changes() -> None:
    from agent.geometry.projector import CameraProjector
    from agent.runtime.counting import FloorCounting
    from agent.track.config import KalmanTrackerConfig

    images, in_view, camera = busy_clip()
    first, heads = images[0], heads_px(in_view[0])
    floor = FloorCounting(KalmanTrackerConfig(type="kalman", appearance_weight_m=2.0, min_hits=1), [])
    projector = CameraProjector(camera, 1.7)
    floor.count_detections(0.0, Detections(0.0, heads, np.full(len(heads), 0.9)), projector, first)
    lights_on = np.clip(first.astype(np.int16) * 3 // 2, 0, 255).astype(np.uint8)
    floor.count_detections(0.1, Detections(0.1, heads, np.full(len(heads), 0.9)), projector, lights_on)
    learnt = floor._tracker._table.appearance  # type: ignore[attr-defined]
    now = AppearanceSampler(camera).describe(lights_on, heads)
    np.testing.assert_allclose(
        learnt, now, err_msg="the looks under the new light, not an average with the old"
    )


@pytest.mark.parametrize("scenario", ["entrance", "aisle", "busy"])
def test_the_samples_lie_on_the_head_and_the_shoulders_where_the_camera_sees_them(scenario) -> None:
    """A person in a red top with dark hair, standing still, drawn by the simulator on a grey floor at
    the middle, sides and corners of the picture: the head part of the descriptor is the hair's colour
    everywhere, though at the sides of a pinhole view a disc on the head top reads the floor beside the
    head; under `busy`'s fisheye the ring reads the top at the sides, where it is seen nearer the middle."""
    camera = load_calibration(ROOT / f"config/scenarios/{scenario}.calibration.json")
    sampler = AppearanceSampler(camera)
    look = Appearance(height_m=1.7, hair_bgr=(30, 30, 40), top_bgr=(60, 40, 160), shoulder_m=0.44)

    def lab(bgr: tuple[int, int, int]) -> np.ndarray:
        return cv2.cvtColor(np.array([[bgr]], np.uint8), cv2.COLOR_BGR2Lab)[0, 0] / 255.0

    for head_px in [
        (60.0, 240.0),
        (320.0, 240.0),
        (560.0, 60.0),
        (500.0, 400.0),
        (150.0, 100.0),
        (600.0, 240.0),
    ]:
        floor_m = camera.pixels_to_floor(np.array([head_px]), 1.7)[0]
        person = Person(0, "shopper", look, np.array([0.0, 10.0]), np.array([floor_m, floor_m]))
        image = np.full((camera.height_px, camera.width_px, 3), 128, dtype=np.uint8)
        draw_people(image, camera, [person], 5.0)
        described = sampler.describe(image, np.array([head_px]))[0]
        np.testing.assert_allclose(described[:3], lab(look.hair_bgr), atol=0.08, err_msg=str(head_px))
        if scenario == "busy" and head_px in [(60.0, 240.0), (560.0, 60.0), (600.0, 240.0)]:
            np.testing.assert_allclose(described[3:], lab(look.top_bgr), atol=0.05, err_msg=str(head_px))
