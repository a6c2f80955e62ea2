"""The Kalman tracker: identities through crossings, weak detections, coasting and bounded state."""

from __future__ import annotations

import numpy as np
import pytest

from agent.analytics.lines import LineCounter
from agent.geometry.shapes import FloorLine
from agent.track.kalman import KalmanTracker
from agent.types import FloorPoints
from tests.track.reference_kalman import ReferenceKalmanTracker


def points(t: float, xy: list[tuple[float, float]], scores: list[float] | None = None) -> FloorPoints:
    return FloorPoints(t, np.array(xy, dtype=float).reshape(-1, 2), np.array(scores or [0.9] * len(xy)))


def test_two_people_passing_each_other_keep_their_ids() -> None:
    tracker = KalmanTracker(max_distance_m=0.6, min_hits=2, max_age_s=1.0)
    history: dict[int, list[float]] = {}
    for i in range(40):
        t = i / 15
        a = (-2.0 + 1.3 * t, 0.0)  # walking +x
        b = (2.0 - 1.3 * t, 0.45)  # walking -x, 45 cm to the side
        tracks = tracker.update(points(t, [a, b]))
        for tid, pos in zip(tracks.ids.tolist(), tracks.positions_m, strict=True):
            history.setdefault(tid, []).append(pos[1])
    assert len(history) == 2
    for ys in history.values():
        assert np.ptp(ys) < 0.2, "each id stays on its own side: no identity switch"


def test_weak_detection_keeps_a_track_but_cannot_start_one() -> None:
    tracker = KalmanTracker(min_hits=2, high_score=0.5, low_score=0.1)
    for i in range(5):
        tracks = tracker.update(points(i * 0.1, [(0.1 * i, 0.0)]))
    [track_id] = tracks.ids.tolist()
    tracks = tracker.update(points(0.5, [(0.5, 0.0)], [0.2]))  # half occluded: low score
    assert tracks.ids.tolist() == [track_id]
    fresh = KalmanTracker(min_hits=1, high_score=0.5, low_score=0.1)
    assert len(fresh.update(points(0.0, [(3.0, 3.0)], [0.3]))) == 0
    assert len(fresh) == 0


def test_unconfirmed_noise_never_reported() -> None:
    """supervision #2578: unconfirmed tracks must not surface (7 people counted as 97)."""
    tracker = KalmanTracker(min_hits=3)
    reported = set()
    for i in range(100):
        # Flickers that never show up twice within the gate: each frame 1.7 m from the last.
        noise = [((i * 1.7) % 40.0, 3.0 * k) for k in range(3)]
        reported |= set(tracker.update(points(i * 0.1, noise)).ids.tolist())
    assert reported == set()


def test_coasting_when_detection_is_skipped_does_not_age_tracks() -> None:
    tracker = KalmanTracker(min_hits=2, max_age_s=0.5)
    for i in range(6):
        tracker.update(points(i * 0.1, [(1.0 * i * 0.1, 0.0)]))
    for i in range(6, 60):  # 5.4 s without detection (motion gate closed)
        tracks = tracker.update(points(i * 0.1, []), detected=False)
    assert len(tracks) == 1
    assert tracks.positions_m[0, 0] > 3.0, "the track coasted forward on its velocity"
    tracks = tracker.update(points(6.0, []))
    for i in range(61, 70):
        tracks = tracker.update(points(i * 0.1, []))
    assert len(tracks) == 0 and len(tracker) == 0, "state dies with the track"


def test_track_state_is_bounded_with_many_people_coming_and_going() -> None:
    tracker = KalmanTracker(min_hits=2, max_age_s=0.3)
    for i in range(600):
        t = i * 0.1
        people = [((t * 1.2 + k) % 8.0, float(k)) for k in range(10)]
        tracker.update(points(t, people))
    assert len(tracker) <= 20


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"max_distance_m": 0}, "max_distance_m is 0, should be > 0"),
        ({"min_hits": 0}, "min_hits is 0"),
        ({"low_score": 0.6, "high_score": 0.5}, "low_score 0.6 and high_score 0.5"),
        ({"measurement_m": -1}, "measurement_m is -1"),
        ({"min_separation_m": -0.1}, "min_separation_m is -0.1"),
        ({"show_missed": -1}, "show_missed is -1, should be >= 0"),
        ({"appearance_weight_m": -0.5}, "appearance_weight_m is -0.5, should be >= 0"),
        ({"min_track_score": 1.5}, "min_track_score is 1.5, should be 0 <= score <= 1"),
    ],
)
def test_bad_arguments_are_named(kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KalmanTracker(**kwargs)


def test_dropped_detection_does_not_hand_the_track_to_a_newcomer_nearby() -> None:
    """The uncertainty gate: a person followed frame after frame is expected within a few cm, not 40 cm away."""
    tracker = KalmanTracker(max_distance_m=0.8, min_hits=2, max_age_s=1.0)
    offsets_m: dict[int, list[float]] = {}
    for i in range(40):
        t = i / 15
        walker = (1.0 * t, 0.0)
        newcomer = (1.0 * 20 / 15, 0.4)  # appears at frame 20, 40 cm beside the walker, and stays
        # The walker's detection drops out in the very frame the newcomer appears.
        seen = [walker] if i < 20 else [newcomer] if i == 20 else [walker, newcomer]
        tracks = tracker.update(points(t, seen))
        for tid, pos in zip(tracks.ids.tolist(), tracks.positions_m, strict=True):
            offsets_m.setdefault(tid, []).append(float(pos[1]))
    walker_id, newcomer_id = sorted(offsets_m)
    assert max(offsets_m[walker_id]) < 0.05, "the walker's track never moved towards the newcomer"
    assert min(offsets_m[newcomer_id]) > 0.35, "the newcomer has a track of their own"


def test_a_badly_placed_detection_of_a_tracked_person_starts_no_second_track() -> None:
    """A side view's foot point jumps with the box: outside the person's uncertainty gate, still them."""
    tracker = KalmanTracker(min_hits=2)
    for i in range(10):
        tracks = tracker.update(points(i * 0.1, [(0.1 * i, 0.0)]))
    [walker_id] = tracks.ids.tolist()
    tracker.update(points(1.0, [(1.0, 0.45)]))  # 45 cm off: beyond the gate of a track followed this well
    assert len(tracker) == 1, "no second track beside the person"
    assert tracker.update(points(1.1, [(1.1, 0.0)])).ids.tolist() == [walker_id]


def test_a_track_missed_at_the_last_detection_is_not_shown_while_coasting_and_still_ends() -> None:
    tracker = KalmanTracker(min_hits=2, max_age_s=0.5)
    for i in range(6):
        tracker.update(points(i * 0.1, [(0.1 * i, 0.0)]))
    tracks = tracker.update(points(0.6, []))  # the person left the image: detection finds nobody
    assert len(tracks) == 0
    for i in range(7, 12):  # then nothing moves: the motion gate closes
        tracks = tracker.update(points(i * 0.1, []), detected=False)
        assert len(tracks) == 0, "a track nobody saw at the last detection is not a person standing still"
    assert tracks.ended_ids, "unseen time adds up while the gate is closed: the track ends"
    assert len(tracker) == 0


@pytest.mark.parametrize(("show_missed", "shown_after_misses"), [(0, []), (1, [1]), (2, [1, 2])])
def test_a_person_missed_by_the_detector_is_shown_at_their_prediction_for_show_missed_detections(
    show_missed: int, shown_after_misses: list[int]
) -> None:
    """A detector blinks: the person is still there, where the filter predicts them, under the same id."""
    tracker = KalmanTracker(min_hits=2, show_missed=show_missed)
    corners = [(-3.0, -3.0), (3.0, 3.0)]  # two people standing far apart: the seen area is 6 m square
    for i in range(10):
        tracks = tracker.update(points(i * 0.1, [*corners, (-1.0 + 0.1 * i, 0.0)]))
    walker_id = int(tracks.ids[-1])
    shown = []
    for misses in range(1, 4):  # the walker's detection is missed three times in a row
        tracks = tracker.update(points((9 + misses) * 0.1, corners))
        if walker_id in tracks.ids.tolist():
            shown.append(misses)
            x_m = float(tracks.positions_m[tracks.ids.tolist().index(walker_id), 0])
            assert x_m == pytest.approx(-0.1 + 0.1 * misses, abs=0.03), "at the prediction, walking on"
    assert shown == shown_after_misses
    tracks = tracker.update(points(1.3, [*corners, (0.3, 0.0)]))
    assert walker_id in tracks.ids.tolist(), "found again: the same id"


def test_a_person_missed_after_walking_out_of_the_seen_area_is_not_shown() -> None:
    """Missed at the edge of everywhere people have been seen: more likely gone than half hidden."""
    tracker = KalmanTracker(min_hits=2, show_missed=1)
    for i in range(20):
        tracks = tracker.update(points(i * 0.1, [(0.0, 0.5), (0.1 * i, 0.0)]))  # one stands, one walks +x
    assert len(tracks) == 2
    tracks = tracker.update(points(2.0, [(0.0, 0.5)]))  # the walker's prediction is beyond x = 1.9
    assert len(tracks) == 1 and len(tracker) == 2, "not shown, yet kept in case they come back"


@pytest.mark.parametrize(("min_separation_m", "people"), [(0.0, 2), (0.45, 1)])
def test_a_second_peak_on_a_tracked_person_starts_no_ghost_when_separation_is_set(
    min_separation_m: float, people: int
) -> None:
    tracker = KalmanTracker(min_hits=3, min_separation_m=min_separation_m)
    seen: set[int] = set()
    for i in range(30):
        head = (-1.5 + 0.1 * i, 0.0)
        shoulder = (head[0] - 0.1, 0.3)  # a bag or shoulder 0.32 m from the head, scored as high
        tracks = tracker.update(
            points(i * 0.1, [head, shoulder] if i >= 5 else [head], [0.9, 0.7][: 2 if i >= 5 else 1])
        )
        seen.update(tracks.ids.tolist())
    assert len(seen) == people


def test_separation_lets_a_newcomer_start_beside_a_person_once_a_head_apart() -> None:
    tracker = KalmanTracker(min_hits=2, min_separation_m=0.45)
    for i in range(10):
        tracks = tracker.update(points(i * 0.1, [(0.0, 0.0), (1.0 - 0.05 * i, 0.6)]))
    assert len(tracks) == 2, "0.6 m apart: two people"


def _shown_ids_per_frame(min_track_score: float, false_scores: list[float]) -> list[list[int]]:
    """The ids reported each frame while a person (scored 0.9) walks +x and a false head 1 m to
    their side (a trolley's basket) walks with them, scored `false_scores[i]` in frame i."""
    tracker = KalmanTracker(min_hits=3, high_score=0.5, min_track_score=min_track_score)
    shown = []
    for i, false_score in enumerate(false_scores):
        x = -2.0 + 0.1 * i
        tracks = tracker.update(points(0.1 * i, [(x, 0.0), (x, 1.0)], [0.9, false_score]))
        shown.append(sorted(tracks.ids.tolist()))
    return shown


@pytest.mark.parametrize(("min_track_score", "shown"), [(0.0, 2), (0.6, 1)])
def test_a_track_of_middling_scores_is_not_reported_under_min_track_score(
    min_track_score: float, shown: int
) -> None:
    """A false head scored 0.55, frame after frame, is confident enough to confirm a track; its
    average stays under 0.6, so with `min_track_score` it never reaches the lines or the heatmap."""
    frames = _shown_ids_per_frame(min_track_score, [0.55] * 30)
    assert max(len(ids) for ids in frames) == shown
    assert len(frames[-1]) == shown


def test_a_track_whose_scores_rise_is_reported_a_few_frames_later() -> None:
    """A track that was false (0.55) and then takes a real head (0.9) is shown once its moving
    average passes `min_track_score`: 0.55 -> 0.62 after one renewal at 0.9, shown from then on."""
    frames = _shown_ids_per_frame(0.6, [0.55] * 10 + [0.9] * 10)
    assert [len(ids) for ids in frames[:10]] == [0, 0] + [1] * 8  # the person, confirmed at frame 2
    assert [len(ids) for ids in frames[10:]] == [2] * 10


def _newcomer_scored_weakly(tracker: KalmanTracker, beside: bool) -> int:
    """Frames until a walker, confidently detected once and then scoring 0.45, is reported (99: never);
    `beside`: a confirmed shopper walks 0.45 m to their side (a pram or a bag would be as near)."""
    shopper_y_m = 0.45 if beside else 2.0
    for i in range(6):  # the shopper is confirmed first
        tracker.update(points(0.1 * i, [(-2.0 + 0.1 * i, shopper_y_m)]))
    for i in range(6, 16):
        shopper, walker = (-2.0 + 0.1 * i, shopper_y_m), (-2.0 + 0.1 * i, 0.0)
        score = 0.9 if i == 6 else 0.45
        tracks = tracker.update(points(0.1 * i, [shopper, walker], [0.9, score]))
        if len(tracks) == 2:
            return i - 6
    return 99


@pytest.mark.parametrize(
    ("weak_confirm_apart_m", "beside", "frames"), [(0.0, False, 99), (0.6, False, 2), (0.6, True, 99)]
)
def test_weak_detections_confirm_a_newcomer_only_clear_of_other_people(
    weak_confirm_apart_m: float, beside: bool, frames: int
) -> None:
    """ByteTrack starts tracks on confident detections only, so a walker the model scores 0.45 after
    one good frame is never confirmed, and never counted; overhead, a weak detection clear of everyone
    may feed the newcomer's track, but not one beside a tracked person (a pram, a bag, a shoulder)."""
    tracker = KalmanTracker(min_hits=3, min_separation_m=0.3, weak_confirm_apart_m=weak_confirm_apart_m)
    assert _newcomer_scored_weakly(tracker, beside) == frames


def _walked_while_faint_m(tracker: KalmanTracker, beside: bool) -> tuple[float, int]:
    """How far past x = -0.4 m the first track of a walker is reported, and how many tracks they get:
    along y = 0 at 0.8 m/s at 10 fps, scored 0.8, then 0.2 for 2 s from x = -0.4 m (a head the colour
    of the floor, straight under the camera), then 0.8 again; `beside`: another shopper walks
    alongside, 0.5 m away, confidently detected throughout."""
    reported_x: dict[int, list[float]] = {}
    for i in range(60):
        t = 0.1 * i
        x = -1.5 + 0.8 * t
        score = 0.2 if 1.4 <= t < 3.4 else 0.8
        xy, scores = [(x, 0.0)], [score]
        if beside:
            xy, scores = [(x, 0.0), (x, 0.5)], [score, 0.8]
        tracks = tracker.update(points(t, xy, scores))
        for track_id, position in zip(tracks.ids.tolist(), tracks.positions_m, strict=True):
            if abs(position[1]) < 0.25:
                reported_x.setdefault(track_id, []).append(float(position[0]))
    first = reported_x[min(reported_x)]
    return max(first) + 0.4, len(reported_x)


@pytest.mark.parametrize(
    ("faint_apart_m", "beside", "followed_m"),
    [(0.0, False, (-0.2, 0.2)), (0.6, False, (0.6, 0.9)), (0.6, True, (-0.2, 0.2))],
)
def test_a_faint_detection_clear_of_everyone_moves_a_walkers_track_for_max_age_s(
    faint_apart_m: float, beside: bool, followed_m: tuple[float, float]
) -> None:
    """Scored under `low_score`, a walker's track is reported one frame at its prediction, then hidden
    until it ends (max_age_s 1 s): a line they cross meanwhile sees nobody cross it. With
    `faint_apart_m` the faint detections move the track with them for its remaining max_age_s (0.8 m/s
    for up to 1 s), but only where nobody else is near (beside a shopper a faint peak may be a shoulder
    or a bag); either way the track ends 1 s after its last clear detection, and the walker gets a second
    track when the score comes back."""
    tracker = KalmanTracker(min_hits=3, low_score=0.4, min_separation_m=0.3, faint_apart_m=faint_apart_m)
    walked_m, tracks = _walked_while_faint_m(tracker, beside)
    assert followed_m[0] <= walked_m <= followed_m[1]
    assert tracks == 2


@pytest.mark.parametrize("knows_the_view", [False, True])
def test_a_faint_head_at_the_pictures_edge_moves_the_walkers_track_it_lies_ahead_of(
    knows_the_view: bool,
) -> None:
    """Walking out of the picture (it ends at x = 3 m), a shopper is scored faintly from x = 2.5 m, as a
    head half out of the picture is (`checkout` seed 12): the peaks lie on the track's way, so they move
    it to the edge, whether or not the tracker knows the view."""

    def in_view(points_m: np.ndarray) -> np.ndarray:
        return np.asarray(points_m)[:, 0] < 3.0

    tracker = KalmanTracker(
        min_hits=2, low_score=0.4, faint_apart_m=0.6, in_view=in_view if knows_the_view else None
    )
    farthest = -np.inf
    for i in range(40):
        t = 0.1 * i
        x = 0.0 + 0.8 * t
        if x >= 3.0:
            break
        tracks = tracker.update(points(t, [(x, 0.0)], [0.8 if x < 2.5 else 0.2]))
        farthest = max([farthest, *tracks.positions_m[:, 0].tolist()])
    assert 2.9 <= farthest <= 3.0


@pytest.mark.parametrize(
    ("speed_m_s", "peak", "moved"),
    [(0.8, "behind", False), (0.8, "ahead", True), (0.8, "beside", False), (0.4, "ahead", False)],
)
def test_a_faint_peak_at_the_pictures_edge_moves_only_a_walkers_track_it_lies_ahead_of(
    speed_m_s: float, peak: str, moved: bool
) -> None:
    """A shopper walks out (+x), found clearly up to x = 2.72 m, 0.18 m from the picture's edge
    (x = 2.9 m); at the next frame the model finds only a faint peak in the edge band. Behind the
    prediction, or beside it (0.08 m across, 0.02 m along), it is as likely the shoulders of someone
    whose head has just left the picture, and the track stays unmatched (not shown, its prediction
    past everything seen); 0.06 m ahead it is the head, and the track takes it, if it walks at
    0.5 m/s or more (at 0.4 m/s it may be standing at the edge, shoulders forward)."""

    def in_view(points_m: np.ndarray) -> np.ndarray:
        return np.asarray(points_m)[:, 0] < 2.9

    tracker = KalmanTracker(min_hits=2, low_score=0.4, faint_apart_m=0.6, in_view=in_view)
    steps = round(2.72 / (speed_m_s * 0.1))
    for i in range(steps + 1):
        tracker.update(points(0.1 * i, [(speed_m_s * 0.1 * i, 0.0)]))
    predicted_x_m = 2.72 + speed_m_s * 0.1
    at_m = {
        "behind": (2.72, 0.0),
        "ahead": (predicted_x_m + 0.06, 0.0),
        "beside": (predicted_x_m + 0.02, 0.08),
    }
    tracks = tracker.update(points(0.1 * (steps + 1), [at_m[peak]], [0.2]))
    assert len(tracks) == (1 if moved else 0)
    if moved:
        assert predicted_x_m < tracks.positions_m[0, 0] < at_m[peak][0]


def test_a_track_shown_at_its_prediction_says_so_and_where_it_was_last_detected() -> None:
    """A walker (1 m/s along x, towards someone standing at x = 3 m) is found for 1 s, then not: the
    track is shown at its prediction for `show_missed` frames, `missed`, with `detected_m` where the
    last detection put it; the stander's, found all along, is not missed."""
    tracker = KalmanTracker(min_hits=2, show_missed=3)
    for i in range(10):
        tracks = tracker.update(points(0.1 * i, [(0.1 * i, 0.0), (3.0, 0.0)]))
        assert tracks.missed is not None and not tracks.missed.any()
        assert tracks.detected_m is not None
        if len(tracks):  # both confirmed from the second detection on
            assert sorted(tracks.detected_m[:, 0].tolist()) == pytest.approx([0.1 * i, 3.0])
    assert len(tracks) == 2
    walker = int(tracks.ids[np.argmin(tracks.positions_m[:, 0])])
    for i in range(10, 13):
        tracks = tracker.update(points(0.1 * i, [(3.0, 0.0)]))
        assert tracks.missed is not None and tracks.detected_m is not None
        row = tracks.ids.tolist().index(walker)
        assert tracks.missed.tolist() == [row == k for k in range(2)]
        assert tracks.detected_m[row].tolist() == pytest.approx([0.9, 0.0])
        assert tracks.positions_m[row, 0] > 0.1 * i - 0.05
    coasting = tracker.update(points(1.3, []), detected=False)  # the motion gate skipped detection
    assert coasting.missed is not None and not coasting.missed.any()


def test_a_faint_detection_does_not_bring_back_a_track_that_missed() -> None:
    """Only a track matched at the previous detection may take a faint one: after a frame with no
    detection at all, a faint peak where the track coasts is as likely a shadow as the person."""
    tracker = KalmanTracker(min_hits=2, max_age_s=1.0, low_score=0.4, faint_apart_m=0.6)
    for i in range(5):
        tracks = tracker.update(points(0.1 * i, [(0.1 * i, 0.0)]))
    [track_id] = tracks.ids.tolist()
    assert tracker.update(points(0.5, [(0.5, 0.0)], [0.2])).ids.tolist() == [track_id]  # followed
    tracker.update(points(0.6, []))  # missed
    tracker.update(points(0.7, [(0.7, 0.0)], [0.2]))
    assert tracker.update(points(0.8, [(0.8, 0.0)], [0.2])).ids.tolist() == []  # lost, not followed


def crowd(seed: int, frames: int = 150, people: int = 25) -> list[tuple[FloorPoints, bool]]:
    """A seeded crowd on a 9 m square at 10 fps: noisy, missed, weak and false detections, and
    stretches where the motion gate skips detection (the bool: detected)."""
    rng = np.random.default_rng(seed)
    position = rng.uniform(-4.5, 4.5, (people, 2))
    velocity = rng.normal(0.0, 0.8, (people, 2))
    updates = []
    for i in range(frames):
        velocity += rng.normal(0.0, 0.1, (people, 2))
        position = (position + velocity * 0.1 + 4.5) % 9.0 - 4.5  # leave one edge, come in at the other
        seen = position[rng.random(people) >= 0.08]  # 8 % missed
        seen = seen + rng.normal(0.0, 0.05, seen.shape)
        false_alarms = rng.uniform(-4.5, 4.5, (rng.poisson(1.0), 2))
        scores = np.r_[
            np.clip(rng.normal(0.7, 0.15, len(seen)), 0.05, 1.0), rng.uniform(0.1, 0.6, len(false_alarms))
        ]
        detected = not 60 <= i % 70 < 66
        updates.append((FloorPoints(i / 10, np.r_[seen, false_alarms], scores), detected))
    return updates


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"min_separation_m": 0.45},
        {"min_hits": 1},
        {"min_hits": 2, "max_age_s": 0.3, "max_distance_m": 0.5},
        {"show_missed": 0},
        {"show_missed": 3, "min_hits": 2},
        {"min_separation_m": 0.3, "weak_confirm_apart_m": 0.6},
        {"min_separation_m": 0.3, "weak_confirm_apart_m": 0.6, "low_score": 0.4, "faint_apart_m": 0.6},
    ],
)
def test_batched_tracker_gives_the_tracks_of_a_per_track_reference(kwargs: dict[str, float]) -> None:
    """All tracks in arrays, corrected together: the same ids, ends and positions as one track at a time."""
    batched, reference = KalmanTracker(**kwargs), ReferenceKalmanTracker(**kwargs)
    reported = 0
    for update, detected in crowd(seed=7):
        ours, theirs = batched.update(update, detected=detected), reference.update(update, detected=detected)
        assert ours.ids.tolist() == theirs.ids.tolist()
        assert ours.ended_ids == theirs.ended_ids
        np.testing.assert_allclose(ours.positions_m, theirs.positions_m, atol=1e-9)
        assert len(batched) == len(reference.tracks)
        reported += len(ours)
    assert reported > 1000, "the scene exercises confirmed tracks, not only tentative ones"


@pytest.mark.parametrize(("knows_the_view", "same_track"), [(False, True), (True, False)])
def test_someone_coming_in_where_a_person_walked_out_gets_their_own_track(knows_the_view, same_track) -> None:
    """A door at the edge of the picture: one shopper walks out, 0.3 s later another walks in there.

    Without the camera's view the first shopper's track, unseen for less than
    `max_age_s`, takes the newcomer (one identity for two people); with it, the
    track ends as its prediction leaves the picture, and hands its id to nobody.
    """

    def in_view(points_m: np.ndarray) -> np.ndarray:
        return np.asarray(points_m)[:, 0] < 3.0

    tracker = KalmanTracker(
        min_hits=2, max_age_s=1.0, relink_speed_m_s=2.5, in_view=in_view if knows_the_view else None
    )
    first_ids, second_ids = set(), set()
    for i in range(27):  # 1.2 m/s along +x, seen while x < 3.0 (until t = 2.4 s)
        t = 0.1 * i
        x = 0.1 + 1.2 * t
        tracks = tracker.update(points(t, [(x, 0.0)] if x < 3.0 else []))
        first_ids |= set(tracks.ids.tolist()) if x < 3.0 else set()
    for i in range(10):  # from t = 2.7 s: someone walks in at x = 2.9, along -x
        t = 2.7 + 0.1 * i
        second_ids |= set(tracker.update(points(t, [(2.9 - 1.2 * 0.1 * i, 0.0)])).ids.tolist())
    assert len(first_ids) == 1 and second_ids
    assert (second_ids == first_ids) is same_track


def _lost_and_found(
    tracker: KalmanTracker, found_at_m: tuple[float, float], looks: tuple[float, float]
) -> list:
    """A shopper walks +x at 1.2 m/s for 1 s, is missed for 0.4 s (stopped and turned behind someone),
    then is seen again at `found_at_m` walking +y. Returns each update's Tracks; the descriptors are
    `looks` before and after."""
    updates = []
    for i in range(11):
        t = 0.1 * i
        xy = [(1.2 * t, 0.0)]
        updates.append(
            tracker.update(FloorPoints(t, np.array(xy), np.array([0.9]), np.array([[looks[0], 0.5]])))
        )
    for i in range(1, 5):
        updates.append(tracker.update(points(1.0 + 0.1 * i, [])))
    for i in range(8):
        t = 1.5 + 0.1 * i
        xy = [(found_at_m[0], found_at_m[1] + 1.0 * 0.1 * i)]
        updates.append(
            tracker.update(FloorPoints(t, np.array(xy), np.array([0.9]), np.array([[looks[1], 0.5]])))
        )
    return updates


@pytest.mark.parametrize(
    ("relink_speed_m_s", "found_at_m", "looks", "same_id"),
    [
        (0.0, (1.3, 0.5), (0.2, 0.2), False),  # off: the found shopper is a new track
        (2.5, (1.3, 0.5), (0.2, 0.2), True),  # 0.5 m from where they were lost, 0.5 s later
        (2.5, (1.3, 2.5), (0.2, 0.2), False),  # 2.5 m in 0.5 s: someone else
        (2.5, (1.3, 0.5), (0.2, 0.9), False),  # near, but looking unlike them: someone else
        (1.5, (1.3, 0.5), (0.2, 0.3), True),  # 0.1 apart in colour: as a person changes under the lights
        (1.5, (1.3, 0.5), (0.2, 0.45), False),  # 0.25 apart: as a neighbour (median 0.2), not a person
    ],
)
def test_a_track_confirmed_where_a_lost_track_could_have_walked_takes_its_id(
    relink_speed_m_s: float, found_at_m: tuple[float, float], looks: tuple[float, float], same_id: bool
) -> None:
    """The gate (0.3 m here) cannot follow the turn; `relink_speed_m_s` hands the lost id on."""
    tracker = KalmanTracker(
        max_distance_m=0.3,
        min_hits=3,
        max_age_s=1.0,
        appearance_weight_m=1.0,
        relink_speed_m_s=relink_speed_m_s,
    )
    updates = _lost_and_found(tracker, found_at_m, looks)
    before = {i for u in updates[:11] for i in u.ids.tolist()}
    after = {i for u in updates[-3:] for i in u.ids.tolist()}
    ended = [i for u in updates for i in u.ended_ids]
    assert len(before) == 1 and len(after) == 1
    assert (after == before) is same_id
    # A track handed on is not ended: its visit and its side of each line go on.
    assert (before.pop() in ended) is not same_id


def _faint_on_the_line(tracker: KalmanTracker, found_at_m: tuple[float, float]) -> tuple[list, list[str]]:
    """A shopper walks +y at 1.2 m/s up to y = -0.05, just short of a line along y = 0 (0.2 m
    hysteresis), and is then not detected for 1.3 s (scored faint in a crowd); then someone is seen
    standing at `found_at_m` for 0.3 s and walking +y at 1.2 m/s. Returns each update's Tracks and the
    line's counts."""
    counter = LineCounter(FloorLine("aisle", (-2.0, 0.0), (2.0, 0.0), "left"), 0.2)
    updates, counted = [], []
    for i in range(60):
        t = 0.1 * i
        if t <= 1.25:
            xy = [(0.0, -1.55 + 1.2 * t)]
        elif t < 2.6:
            xy = []
        else:
            xy = [(found_at_m[0], found_at_m[1] + 1.2 * max(0.0, t - 2.9))]
        updates.append(tracker.update(points(t, xy)))
        counted += [c.direction for c in counter.update(updates[-1])]
    return updates, counted


@pytest.mark.parametrize(
    ("relink_memory_s", "found_at_m", "same_id", "counted"),
    [
        (0.0, (0.0, 0.1), False, []),  # off: the found shopper is a new track, born past the line
        (0.5, (0.0, 0.1), True, ["in"]),  # found 0.15 m from where they were lost: their track, counted
        (0.5, (1.5, 0.1), False, []),  # 1.5 m away, farther than the gate: someone else
    ],
)
def test_a_track_that_timed_out_keeps_its_id_for_someone_found_where_it_was_lost(
    relink_memory_s: float, found_at_m: tuple[float, float], same_id: bool, counted: list[str]
) -> None:
    """`relink_memory_s`: a track unseen for longer than `max_age_s` is remembered, unreported, and a new
    track confirmed near where it was lost takes its id, and with it its side of each line; the busy
    seed 8 shopper, faint for 1.1 s on the line. Otherwise it ends once the memory runs out."""
    tracker = KalmanTracker(min_hits=3, max_age_s=1.0, relink_speed_m_s=1.5, relink_memory_s=relink_memory_s)
    updates, found = _faint_on_the_line(tracker, found_at_m)
    before = {i for u in updates[:12] for i in u.ids.tolist()}
    after = {i for u in updates[-3:] for i in u.ids.tolist()}
    assert len(before) == 1 and len(after) == 1
    assert (after == before) is same_id
    assert found == counted
    ended_at_s = {i: u.t_s for u in updates for i in u.ended_ids}
    lost_id = before.pop()
    if same_id:
        assert lost_id not in ended_at_s
    else:  # last seen at 1.2 s: ends after max_age_s and relink_memory_s more, within two updates
        assert 1.2 + 1.0 + relink_memory_s < ended_at_s[lost_id] < 1.2 + 1.0 + relink_memory_s + 0.25
    assert all(len(u.ids) <= 1 for u in updates)  # a remembered track is not reported


def _parent_and_child(tracker: KalmanTracker, child_apart_m: float) -> list:
    """A parent walks +x at 1 m/s along y = 0 for 5 s with a child `child_apart_m` to the side. From 1.5
    to 3.5 s the child's head is behind the parent's on the camera's line of sight: one detection, the
    parent's. Then the child steps 0.5 m aside and is seen again. Returns each update's Tracks."""
    updates = []
    for i in range(51):
        t = 0.1 * i
        heads = [(t, 0.0)]
        if not 1.5 <= t < 3.5:
            heads.append((t, child_apart_m + (0.5 if t >= 3.5 else 0.0)))
        updates.append(tracker.update(points(t, heads)))
    return updates


@pytest.mark.parametrize(
    ("hidden_within_m", "child_apart_m", "max_hidden_s", "keeps_id"),
    [
        (0.0, 0.2, 2.5, False),  # off: the child is lost after max_age_s and found as someone new
        (0.3, 0.2, 2.5, True),  # hidden beside the parent: kept, and the track found takes its id
        (0.3, 0.2, 1.5, False),  # hidden for 2 s, longer than max_hidden_s
        (0.3, 0.6, 2.5, False),  # lost 0.6 m from anyone: not hidden, ends after max_age_s
    ],
)
def test_a_child_hidden_behind_a_parent_keeps_its_track(
    hidden_within_m: float, child_apart_m: float, max_hidden_s: float, keeps_id: bool
) -> None:
    tracker = KalmanTracker(
        max_distance_m=0.3,
        min_hits=3,
        max_age_s=1.0,
        relink_speed_m_s=1.5,
        hidden_within_m=hidden_within_m,
        max_hidden_s=max_hidden_s,
    )
    updates = _parent_and_child(tracker, child_apart_m)

    def ids(some: list, child: bool) -> set[int]:
        return {
            i
            for u in some
            for i, y in zip(u.ids.tolist(), u.positions_m[:, 1], strict=True)
            if (y > 0.1) == child
        }

    child_before, child_after, parents = (
        ids(updates[10:15], True),
        ids(updates[-3:], True),
        ids(updates[:15] + updates[40:], False),  # riding: the child's id is on the parent until found
    )
    assert len(child_before) == 1 and len(child_after) == 1 and len(parents) == 1
    assert (child_after == child_before) is keeps_id
    ended = {i for u in updates for i in u.ended_ids}
    child = child_before.pop()
    assert (child in ended) is not keeps_id
    # While hidden, the child's track rides with the parent's and is shown where the parent is,
    shown_on_parent_s = [round(0.1 * i, 1) for i, u in enumerate(updates) if 15 <= i < 35 and child in u.ids]
    if hidden_within_m == 0 or child_apart_m > hidden_within_m:
        assert shown_on_parent_s == []
    else:
        # until found again (keeps_id) or until its track ends, max_hidden_s after it was last seen
        assert shown_on_parent_s == [round(0.1 * i, 1) for i in range(15, 35 if keeps_id else 29)]


def _hiding_tracker() -> KalmanTracker:
    return KalmanTracker(max_distance_m=0.3, relink_speed_m_s=1.5, hidden_within_m=0.3, max_hidden_s=2.5)


def test_a_child_hidden_behind_a_parent_crosses_the_line_with_them() -> None:
    """The pair crosses x = 2.5 m while the child's head is behind the parent's (1.5-3.5 s): both count
    then, before the child is seen again (the first 3.4 s)."""

    def counted(tracker: KalmanTracker) -> list[str]:
        door = LineCounter(FloorLine("door", (2.5, -1.0), (2.5, 1.0), "right"), hysteresis_m=0.2)
        return [c.direction for u in _parent_and_child(tracker, 0.2)[:35] for c in door.update(u)]

    assert counted(_hiding_tracker()) == ["in", "in"]
    # Riding with the parent, the child's track is shown where the parent is found: not missed.
    hidden = [u for u in _parent_and_child(_hiding_tracker(), 0.2) if 1.8 <= u.t_s < 3.4]
    assert all(len(u) == 2 and u.missed is not None and not u.missed.any() for u in hidden)
    # Without hidden tracks the child's ends on the near side: the parent alone counts.
    assert counted(KalmanTracker(max_distance_m=0.3, relink_speed_m_s=1.5)) == ["in"]


def _hidden_second_person(
    second_from_s: float, second_speed_m_s: float, seen_every: int
) -> tuple[set[int], set[int]]:
    """A person walks +x at 1 m/s along y = 0; a second one, seen from `second_from_s` on at
    `second_speed_m_s` along y = 0.2 (at every `seen_every`-th detection once confirmed), is hidden
    behind the first from 1.5 s to 2.5 s. Returns the ids shown while it is hidden, and the first's."""
    tracker = _hiding_tracker()
    shown_hidden: set[int] = set()
    first: set[int] = set()
    for i in range(36):
        t = round(0.1 * i, 1)
        heads = [(t, 0.0)]
        seen = i < second_from_s * 10 + 3 or i % seen_every == 0
        if t >= second_from_s and not 1.5 <= t < 2.5 and seen:
            heads.append((1.5 + second_speed_m_s * (t - 1.5), 0.2))
        tracks = tracker.update(points(t, heads))
        if t < 1.0:
            first |= {
                i for i, y in zip(tracks.ids.tolist(), tracks.positions_m[:, 1], strict=True) if y < 0.1
            }
        elif 1.8 <= t < 2.5:
            shown_hidden |= {i for i in tracks.ids.tolist()}
    return shown_hidden - first, first


@pytest.mark.parametrize(
    ("second_from_s", "second_speed_m_s", "seen_every", "rides"),
    [
        (0.0, 1.0, 1, True),  # a steady track walking with the first: rides, shown on it
        (1.0, 1.0, 1, False),  # followed for 0.5 s only: may be a shoulder, not shown
        (0.0, -1.0, 1, False),  # walking the other way: they part again, not shown on the first
        (0.0, 1.0, 2, False),  # matched at half the detections: a false track's pattern, not shown
    ],
)
def test_only_a_steady_track_walking_with_its_occluder_rides(
    second_from_s: float, second_speed_m_s: float, seen_every: int, rides: bool
) -> None:
    shown_hidden, first = _hidden_second_person(second_from_s, second_speed_m_s, seen_every)
    assert len(first) == 1
    assert (len(shown_hidden) == 1) is rides


def test_hidden_track_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="max_hidden_s is 0"):
        KalmanTracker(max_hidden_s=0)
    with pytest.raises(ValueError, match="hidden_within_m is -0.1"):
        KalmanTracker(hidden_within_m=-0.1)


def test_a_track_reports_its_persons_mean_height_once_read_three_times() -> None:
    """Heights read from the picture (NaN: not read on that frame) for the detections that renew a
    track are added to it after the update (`add_heights`); the next update reports its mean once it
    has three. A tracker never given heights reports none."""
    tracker = KalmanTracker(min_hits=1)
    reported = []
    for i, height_m in enumerate([1.8, np.nan, 1.9, 2.0, 1.7, 1.75]):
        tracks = tracker.update(points(0.1 * i, [(0.1 * i, 0.0)]))
        reported.append(None if tracks.heights_m is None else tracks.heights_m.tolist())
        wanted = tracker.detections_wanting_heights()
        assert wanted.tolist() == [0]
        tracker.add_heights(wanted, np.array([height_m]))
    assert reported[0] is None and np.isnan(reported[1:4]).all()
    assert reported[4] == pytest.approx([1.9]) and reported[5] == pytest.approx([1.85])
    assert KalmanTracker(min_hits=1).update(points(0.0, [(0.0, 0.0)])).heights_m is None
    with pytest.raises(ValueError, match=r"detections \[3\] renewed no track"):
        tracker.add_heights(np.array([3]), np.array([1.7]))


def test_a_track_wants_no_more_heights_after_ten_readings() -> None:
    """Reading a height costs a crop and a network run: a track holding ten readings wants no more,
    and a newcomer's detection still does."""
    tracker = KalmanTracker(min_hits=1)
    for i in range(12):
        tracker.update(points(0.1 * i, [(0.1 * i, 0.0)]))
        tracker.add_heights(tracker.detections_wanting_heights(), np.array([1.7]) if i < 10 else np.zeros(0))
    assert tracker.detections_wanting_heights().tolist() == []
    tracker.update(points(1.2, [(1.2, 0.0), (-2.0, 1.0)]))
    assert tracker.detections_wanting_heights().tolist() == [1]


def test_a_first_detection_says_which_way_someone_came_only_if_they_could_have_been_seen_before() -> None:
    """`Tracks.born_m` is where each track's first detection was; `Tracks.came_into_view` says whether
    that tells which way the person came: not for someone found within `max_age_s` (1 s) of the
    tracker's first detecting update (they may have stood there since it started), nor for someone
    found later at the picture's edge (x = 5 m here: within `_EDGE_MARGIN_M`, 0.2 m, of it, they
    walked into view); yes for someone found later, well inside the picture. Once the source has
    stopped (`end_all`), whoever is found next may have been there all along."""
    tracker = KalmanTracker(
        min_hits=2, max_age_s=1.0, in_view=lambda points_m: np.asarray(points_m)[:, 0] <= 5.0
    )
    early = [(1.0, 1.0), (2.0, 1.0)]  # found at the first update, and 0.5 s after it
    later = [(3.0, 0.0), (4.9, -1.0)]  # found 1.1 s after it: mid-view, and at the edge
    tracker.update(points(0.0, early[:1]))
    tracker.update(points(0.5, early))
    tracker.update(points(0.6, early))
    tracker.update(points(1.1, early + later))
    tracks = tracker.update(points(1.2, early + later))
    assert tracks.born_m is not None and tracks.came_into_view is not None
    order = np.argsort(tracks.positions_m[:, 0])
    np.testing.assert_allclose(tracks.born_m[order], early + later, atol=1e-9)
    assert tracks.came_into_view[order].tolist() == [False, False, True, False]
    tracker.end_all(1.3)
    tracker.update(points(2.0, [(3.0, 0.0)]))
    tracks = tracker.update(points(2.1, [(3.0, 0.0)]))
    assert tracks.came_into_view is not None and tracks.came_into_view.tolist() == [False]
