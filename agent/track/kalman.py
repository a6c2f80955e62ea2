"""A ByteTrack-style tracker on the floor: Kalman filter, two-stage association, metres.

Each track is a constant-velocity Kalman filter over (x, y, vx, vy) in floor
metres. Association follows ByteTrack: confident detections are matched to
every track first, then the left-over tracks get a second chance with the
low-score detections (a half-occluded person scores low but is still the
same person), and only confident detections may start a track. Matching is
optimal (Hungarian: SciPy's solver, through `agent.track.assignment`) on the
distance to each track's prediction, gated twice: in metres
(`max_distance_m`: on a floor a gate has a physical meaning, nobody walks
1 m in a fifteenth of a second, which an image-space IoU gate does not) and by the track's own uncertainty (a chi-square gate on
the innovation). The second gate is tight for a person followed frame after
frame and widens, up to the metric cap, while a track coasts unseen: so a
person whose detection drops out for a frame does not hand their track to a
newcomer 40 cm away, yet a track lost for a while can still be found again.
The other side of that tight gate: a person's own detection, placed badly,
can fall outside it; it then starts no track if a person missed in this very
update was within `max_distance_m` of it (see `_not_beside_a_first_miss`).

A track is reported only once confirmed (`min_hits` matches), a tentative
track that misses once is dropped (overhead, with `tentative_wait_within_m`,
not at its first miss beside someone: a child behind a parent is found one
frame in two), and a track unseen for `max_age_s` of detecting time ends.
Overhead, with `weak_confirm_apart_m`, a tentative track may also take a
weak detection that lies clear of everyone matched in the update: a person
the model scores weakly, a fast walker at a door, is then confirmed, and
counted, before they are past the line, while a pram or a bag beside its
person still feeds nothing. Overhead, with `faint_apart_m`, a confirmed
track that was matched at the last detection and is missed now may take a
faint detection (under `low_score`) that lies clear of every other detection
and person and inside the picture (at its edge only ahead of the track's
walk): someone the model scores low for a moment (hair the colour of the
floor, a head half out of the picture) is still followed across a line; such
a match does not renew the track, which still ends `max_age_s` after its
last clear detection. With `relink_speed_m_s`, a track confirmed where a
confirmed track that is missed now could have walked since its last match,
and whose colours differ from its by at most `_RELINK_APPEARANCE` where both
are known, takes over that track's id (the old one ends without being
reported as ended): someone the detector lost in a crowd for a few frames,
and found again outside the old track's gate, keeps their identity. With
`relink_memory_s` too, a confirmed track that times out (`max_age_s`) in the
picture is remembered that long, unreported, for a new track confirmed
within `max_distance_m` of where it was lost to take its id; only then does
it end. With `hidden_within_m`, a confirmed track missed while predicted
next to someone matched is hidden behind them on the camera's line of sight
and waits longer (`max_hidden_s`); a steady one walking with them rides with
them, reported where they are, so the two cross lines together (`_ride`). A
confirmed track that the detector misses for up to `show_missed` detections
in a row is still reported, at its prediction, if that prediction lies
within the area where tracked people have been seen so far: a detector
blinks (a person half hidden for a frame), and hiding the person for that
frame costs recall and breaks their path in every analytics stage; a track
whose prediction has left that area is more likely someone who walked out of
view, and stays hidden. Given the camera's view (`in_view`), a track the
detector misses while its prediction lies outside the picture ends at once:
that person walked out, and someone who comes in where they left (a door)
starts a track of their own instead of continuing theirs. When the motion
gate skips detection, `update` is called with `detected=False`: tracks seen
at the last detection coast on their prediction, are reported and do not age
(a person standing still stays counted); tracks already unseen then are not
reported and keep ageing (the gate closing does not bring back someone who
walked out of the image). Given where the camera is (`body_lines`), with
`body_within_m`, a track every detection of which lies on one walker's body
as the camera sees it (a fisheye draws a body long at the picture's rim) is
a peak on their body, not a person, and is not reported until a detection
leaves it (`_find_bodies`). Everything a track holds, and the seen area,
dies with the tracker or its track.

With appearance (`appearance_weight_m` > 0, and detections that carry
descriptors: `agent.track.appearance`, colours of hair and shoulders), a
pair's cost is its distance plus the weight times the difference of the
descriptors, so where two people are about equally near two detections, each
keeps the one that looks like them; where a detection is in more than one
track's gate, or a track has more than one in its own, pairs that look
unalike may not match at all (a lone track follows its lone detection
whatever the light does to its colours); and a confirmed track still unmatched
after the first two stages (its person missed, or placed outside its tight
gate) takes a left-over confident detection up to twice as far out in its
uncertainty if the two look the same and the track's prediction is still in
the picture (otherwise its person walked out and this is someone else). Each
track keeps an exponential moving average of its descriptors, which dies
with it.

All tracks live in one `_TrackTable`, a row per track: the filter of every
track is predicted in one array operation per update, and the tracks matched
in an association stage are corrected together, with the 2x2 innovation
covariances inverted in closed form. With 50 people in view a per-track
filter spent most of its time in NumPy call overhead on 4x4 matrices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from agent.track.assignment import linear_sum_assignment
from agent.track.body import BodyLines
from agent.types import BoolArray, FloatArray, FloorPoints, IntArray, Tracks

Rows = npt.NDArray[np.intp]
# Which floor positions (N, 2) m the camera sees: a person there is in the picture.
ViewTest = Callable[[FloatArray], BoolArray]

_NO_MATCH = 1e6  # cost of a gated-out pair (metres): never chosen
# Squared Mahalanobis distance holding 99.9 % of a 2-D Gaussian innovation: while the noise
# settings hold, a person's own detection falls outside it about once in a thousand updates.
_GATE_CHI2 = 13.8
# Weight of each new descriptor in a track's look, an exponential moving average: a few frames' worth,
# so one frame where a neighbour's shoulder covers the ring does not make the track look like them.
_APPEARANCE_RATE = 0.2
# Weight of each renewing detection's score in a track's moving average of scores (`min_track_score`):
# a few frames' worth, so a false track that moves onto a real person is shown within a few frames.
_SCORE_RATE = 0.2
# The difference a pair is charged when either side's colours are not known (a person half out of the
# picture, a track not seen yet): between a person's own change from frame to frame (median 0.03) and
# a neighbour's difference (median 0.2), so not knowing neither wins nor loses against knowing.
_UNKNOWN_LOOK = 0.1
# Largest descriptor difference at which an unmatched track takes a detection outside its uncertainty
# gate: a person's own descriptor moves under 0.09 between frames 9 times in 10 on the committed `busy`
# clip, while the nearest neighbour's differs by more than 0.07 9 times in 10.
_REFIND_APPEARANCE = 0.08
# A descriptor difference beyond which two contested candidates are not the same person (see
# `_weigh_looks`): a person's own descriptor moves more than this from one frame to the next 3 times in 1,000
# on the committed `busy` clip (0.2: 11 in 1,000); when lights switch, by as much, and the tracks then
# forget their looks (`forget_appearance`).
_UNALIKE = 0.3
# How much farther than the uncertainty gate (in standard deviations) that may be: a person the
# detector placed badly, or who turned while unseen, not a newcomer beside a track that lost its person.
_REFIND_GATE = 2.0
# Beyond the walk at `relink_speed_m_s` and the measurement noise, how far a found person's first detection
# may lie from their last one (m): a head point moves that much as a person turns or bends.
_RELINK_MARGIN_M = 0.2
# Largest descriptor difference at which a new track takes a lost one's id (`relink_speed_m_s`): a
# person's own descriptor moves more than 0.2 from one frame to the next 11 times in 1,000 on the
# committed `busy` clip, a neighbour's differs by 0.2 in the median. At 0.3 (`_UNALIKE`) a false track
# 0.6 m ahead of a shopper took the id of one lost on the other side of a line and counted a passage
# (`busy` seed 3 at 11.6 s); on the 20 accuracy clips IDF1 0.904 with that count, 0.903 at 0.2 and
# 0.902 at 0.15 without it, 0.898 at 0.08 (2026-12-03).
_RELINK_APPEARANCE = 0.2
# Which hidden tracks ride with the person they are hidden behind (`_ride`): tracks followed at least this
# long (s) and matched in at least this share of the detecting updates since they started, so a real
# person's, not a false track that shoulders or a bag fed now and then (matched 20-60 % of the time on
# `busy`), and walking at most this much faster or slower (m/s, the difference of the two velocities)
# than the track they hide behind: two people walking into each other's line of sight from opposite
# directions part again, each on their own way. Chosen on `busy` seeds 2-13, where each of the three
# removed turned a passage into a false count or lost one (benchmarks/RESULTS.md).
_RIDE_MIN_AGE_S = 1.0
_RIDE_MIN_MATCHED = 0.9
_RIDE_MAX_SPEED_DIFFERENCE_M_S = 1.2
# Readings of a person's height (`add_heights`) a track needs before it reports their mean: one reading
# errs 0.02-0.04 m (std) around the person's mean on the accuracy clips. After `_MAX_HEIGHT_READINGS` a
# track wants no more: their mean is then within about 0.01 m, and reading costs a crop and a network
# run per person (2.7 ms a frame with `busy`'s 40 people when every track was read).
_MIN_HEIGHT_READINGS = 3
_MAX_HEIGHT_READINGS = 10
# A track moving at least this fast (m/s) walks, rather than stands (`_walking`). Two rules look only
# at walkers: a faint head at the picture's edge ahead of one (`_ahead_of`), where someone standing at
# the edge may lean their shoulders forward; and a peak on one's body (`_find_bodies`), which moves with
# them, where beside someone standing another person may stand for a while.
_WALKING_M_S = 0.5
# How far inside the camera's view a faint detection must lie to move a track (`faint_apart_m`): a
# head whose top is that near the edge of a ceiling camera's picture is leaving or entering it.
_EDGE_MARGIN_M = 0.2
# ... unless it lies ahead of where the track walking there is predicted, within 45 degrees of its way
# (farther along it than across it), and the track walks (`_WALKING_M_S`): the shoulders of
# someone whose head has left the picture lie behind the prediction or beside it, towards the
# picture's centre (seen from above, a body lies between its head and the point below the camera),
# and a faint peak ahead is then the head itself, at the edge (`checkout` seed 12 at 94.0 s: a shopper
# accelerating out along the picture's top edge, the track 0.3 m behind, scored 0.16 there past the
# exit line).
_EDGE_STEPS_M = np.array(
    [[_EDGE_MARGIN_M, 0.0], [-_EDGE_MARGIN_M, 0.0], [0.0, _EDGE_MARGIN_M], [0.0, -_EDGE_MARGIN_M]]
)
# `_TrackTable.body_of` of a track whose detections have not been looked at yet (`_find_bodies`).
_NOT_LOOKED = -2


def _walking(velocities_m_s: FloatArray) -> BoolArray:
    """Whether each velocity (N, 2) m/s is a walk (`_WALKING_M_S` or faster)."""
    walking: BoolArray = np.hypot(velocities_m_s[:, 0], velocities_m_s[:, 1]) >= _WALKING_M_S
    return walking


def _pairwise_m(first: FloatArray, second: FloatArray) -> FloatArray:
    """Euclidean distance (M, N) between every row of `first` (M, K) and of `second` (N, K)."""
    distance: FloatArray = np.linalg.norm(first[:, None, :] - second[None, :, :], axis=2)
    return distance


def _cheapest_pairs(cost: FloatArray) -> tuple[Rows, Rows]:
    """Rows and columns of the minimum-cost matching of `cost`, without the pairs it had to take at
    `_NO_MATCH` (gated out)."""
    rows, cols = linear_sum_assignment(cost)
    real = cost[rows, cols] < _NO_MATCH
    return rows[real], cols[real]


def _keep_rows(table: _TrackTable | _LostTracks, kept: BoolArray) -> None:
    """Drop the rows of every array of `table` (a row per track) where `kept` is False."""
    if kept.all():
        return
    for field in fields(table):
        setattr(table, field.name, getattr(table, field.name)[kept])


@dataclass
class _TrackTable:
    """Every track's filter and counters, one row per track, in the order the tracks started.

    `states` (T, 4): x, y (m), vx, vy (m/s); `covariances` (T, 4, 4) in the
    same units; `hits` matches so far; `unseen_s` detecting seconds since the
    last match; `matched_now` whether the current update matched the track;
    `misses` detections missed in a row; `scores` the moving average of the
    scores of the detections that renewed the track (`_SCORE_RATE`);
    `updates` detecting updates since the track started, this one included;
    `carriers` the id of the track a hidden track rides with (`_ride`), -1
    for none, and `riding_since_t_s` since when; `height_sums` (m) and
    `height_counts` the person's heights read from the picture so far
    (`add_heights`); `detections` the index of the detection that renewed
    the track in the current update, -1 for none; `body_of` the id of the
    walker on whose body every detection of the track has lain
    (`_find_bodies`), -1 for none, `_NOT_LOOKED` before the first look.
    """

    ids: IntArray
    states: FloatArray
    covariances: FloatArray
    hits: IntArray
    unseen_s: FloatArray
    confirmed: BoolArray
    matched_now: BoolArray
    misses: IntArray
    scores: FloatArray
    origins_m: FloatArray  # (T, 2) m: each track's first detection
    born_t_s: FloatArray  # (T,) s: when
    came_into_view: BoolArray  # (T,): the camera could have seen the person before that (`_start`)
    last_seen_m: FloatArray  # (T, 2) m: where each track was at its last renewing match
    last_seen_t_s: FloatArray  # (T,) s: when
    last_detected_m: FloatArray  # (T, 2) m: where its last detection, renewing or faint, put it
    appearance: FloatArray  # (T, K) descriptors (NaN until seen); K = 0 until a detection brings one
    updates: IntArray
    carriers: IntArray
    riding_since_t_s: FloatArray
    height_sums: FloatArray
    height_counts: IntArray
    detections: IntArray
    body_of: IntArray

    @classmethod
    def empty(cls) -> _TrackTable:
        """A table without tracks."""
        return cls(
            np.zeros(0, np.int64),
            np.zeros((0, 4)),
            np.zeros((0, 4, 4)),
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros(0, bool),
            np.zeros(0, bool),
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros((0, 2)),
            np.zeros(0),
            np.zeros(0, bool),
            np.zeros((0, 2)),
            np.zeros(0),
            np.zeros((0, 2)),
            np.zeros((0, 0)),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros(0),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def keep(self, kept: BoolArray) -> None:
        """Drop the rows where `kept` is False, and with them all the state of those tracks."""
        _keep_rows(self, kept)

    def append(
        self,
        first_id: int,
        t_s: float,
        positions_m: FloatArray,
        scores: FloatArray,
        covariance: FloatArray,
        confirmed: bool,
        appearance: FloatArray | None,
        detections: Rows,
        came_into_view: BoolArray,
    ) -> None:
        """Start one track per row of `positions_m` (N, 2), at rest, with ids from `first_id` on,
        its detection's score from `scores` (N,), looking like the rows of `appearance` (N, K; None:
        not known), started by the detections `detections` (N,) of the current update, each where the
        camera could have seen its person come from or not (`came_into_view` (N,))."""
        count = len(positions_m)
        if appearance is None:
            appearance = np.full((count, self.appearance.shape[1]), np.nan)
        else:
            self.widen_appearance(appearance.shape[1])
        at_rest = np.zeros((count, 4))
        at_rest[:, :2] = positions_m
        self.ids = np.concatenate([self.ids, np.arange(first_id, first_id + count, dtype=np.int64)])
        self.states = np.concatenate([self.states, at_rest])
        self.covariances = np.concatenate([self.covariances, np.broadcast_to(covariance, (count, 4, 4))])
        self.hits = np.concatenate([self.hits, np.ones(count, np.int64)])
        self.unseen_s = np.concatenate([self.unseen_s, np.zeros(count)])
        self.confirmed = np.concatenate([self.confirmed, np.full(count, confirmed)])
        self.matched_now = np.concatenate([self.matched_now, np.ones(count, bool)])
        self.misses = np.concatenate([self.misses, np.zeros(count, np.int64)])
        self.scores = np.concatenate([self.scores, scores])
        self.origins_m = np.concatenate([self.origins_m, positions_m])
        self.born_t_s = np.concatenate([self.born_t_s, np.full(count, t_s)])
        self.came_into_view = np.concatenate([self.came_into_view, came_into_view])
        self.last_seen_m = np.concatenate([self.last_seen_m, positions_m])
        self.last_detected_m = np.concatenate([self.last_detected_m, positions_m])
        self.last_seen_t_s = np.concatenate([self.last_seen_t_s, np.full(count, t_s)])
        self.appearance = np.concatenate([self.appearance, appearance])
        self.updates = np.concatenate([self.updates, np.ones(count, np.int64)])
        self.carriers = np.concatenate([self.carriers, np.full(count, -1, np.int64)])
        self.riding_since_t_s = np.concatenate([self.riding_since_t_s, np.zeros(count)])
        self.height_sums = np.concatenate([self.height_sums, np.zeros(count)])
        self.height_counts = np.concatenate([self.height_counts, np.zeros(count, np.int64)])
        self.detections = np.concatenate([self.detections, np.asarray(detections, np.int64)])
        self.body_of = np.concatenate([self.body_of, np.full(count, _NOT_LOOKED, np.int64)])

    def widen_appearance(self, size: int) -> None:
        """Give every track room for descriptors of `size` numbers (the first time they come).

        Raises:
            ValueError: descriptors of another size came before.
        """
        width = self.appearance.shape[1]
        if width == 0:
            self.appearance = np.full((len(self.ids), size), np.nan)
        elif width != size:
            raise ValueError(f"appearance: expected {width} numbers per detection, got {size}")


@dataclass
class _LostTracks:
    """Confirmed tracks that timed out in the picture, remembered until `until_t_s` (s) so that a track
    confirmed where their person could have walked takes their id (`relink_memory_s`); then they end.

    `last_seen_m` (L, 2) m and `last_seen_t_s` (L,) s: where and when each was last matched;
    `appearance` (L, K) its descriptors (K = 0: none known).
    """

    ids: IntArray
    last_seen_m: FloatArray
    last_seen_t_s: FloatArray
    appearance: FloatArray
    until_t_s: FloatArray

    @classmethod
    def empty(cls) -> _LostTracks:
        return cls(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(0), np.zeros((0, 0)), np.zeros(0))

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, table: _TrackTable, rows: BoolArray, until_t_s: float) -> None:
        """Remember the table's `rows` (a mask) until `until_t_s`."""
        if not rows.any():
            return
        self.appearance = np.concatenate([self.looks(table.appearance.shape[1]), table.appearance[rows]])
        self.ids = np.concatenate([self.ids, table.ids[rows]])
        self.last_seen_m = np.concatenate([self.last_seen_m, table.last_seen_m[rows]])
        self.last_seen_t_s = np.concatenate([self.last_seen_t_s, table.last_seen_t_s[rows]])
        self.until_t_s = np.concatenate([self.until_t_s, np.full(int(rows.sum()), until_t_s)])

    def looks(self, width: int) -> FloatArray:
        """The descriptors, `width` numbers each (NaN where they were not known at that width)."""
        if self.appearance.shape[1] == width:
            return self.appearance
        return np.full((len(self.ids), width), np.nan)

    def forget(self, entries: Rows) -> None:
        """Forget the remembered tracks `entries` (indices): their ids were taken."""
        self._keep(~np.isin(np.arange(len(self.ids)), entries))

    def expire(self, t_s: float) -> IntArray:
        """Forget the tracks remembered until before `t_s`; returns their ids (they have ended)."""
        expired = self.until_t_s < t_s
        ids = self.ids[expired]
        self._keep(~expired)
        return ids

    def _keep(self, kept: BoolArray) -> None:
        _keep_rows(self, kept)


class KalmanTracker:
    """Multi-object tracker in floor metres (see module docstring).

    Arguments: `max_distance_m` gate; `min_hits` matches to confirm;
    `max_age_s` unseen detecting time before a track ends; `high_score` and
    `low_score` split detections for the two association stages; `accel_m_s2`
    and `measurement_m` are the filter's process and measurement noise
    (standard deviations); `min_separation_m` (0 = off): a left-over detection
    this close to a person matched in the same update neither starts nor feeds
    a tentative track (see `_apart_from_people`); `weak_confirm_apart_m` (0 =
    off): a weak detection (`low_score` to `high_score`) at least this far
    from everyone matched in the same update may feed a tentative track, which
    otherwise takes confident detections only; `faint_apart_m` (0 = off): a
    faint detection (under `low_score`) at least this far from every other
    detection and person matched may move a confirmed track that missed its
    person, without renewing it (see `_follow_faintly`); `relink_speed_m_s` (0 =
    off): a track confirmed where a confirmed track missed now could have walked
    at this speed since its last match, and looks like it, takes its id (see
    `_relink`); `relink_memory_s` (0 = off): how long a track that timed out in
    the picture may still be taken so, near where it was lost (see `_LostTracks`);
    `hidden_within_m` (0 = off): a confirmed track that missed
    its person while predicted this close to someone matched in the same
    update is taken to be hidden behind them and ends only `max_hidden_s`
    after its last match, not `max_age_s` (see `_hidden`), and if it is a
    steady track walking with theirs, rides with it and is reported there
    meanwhile (see `_ride`); `show_missed` (0 =
    off): detections in a row a confirmed track may miss and still be
    reported at its prediction, inside the area where people have been seen;
    `min_track_score` (0 = off): a confirmed track is reported only while the
    moving average of its detections' scores is at least this (see `_report`);
    `in_view` (None = unknown): the floor the camera sees, to end at once a
    missed track predicted outside it; `body_within_m` (0 = off) with
    `body_lines` (None = unknown, off): a track every detection of which lay
    this near one walker's body line, as the camera sees it, is their body,
    and is not reported (see `_find_bodies`); `tentative_wait_within_m` (0 =
    off): a track not confirmed yet that misses its first detection in a row
    while predicted this near someone matched in the same update waits for
    the next one instead of ending (see `_waiting`).

    Raises:
        ValueError: an argument is out of range, named with its value.
    """

    def __init__(
        self,
        *,
        max_distance_m: float = 0.8,
        min_hits: int = 3,
        max_age_s: float = 1.0,
        high_score: float = 0.5,
        low_score: float = 0.1,
        accel_m_s2: float = 2.0,
        measurement_m: float = 0.08,
        min_separation_m: float = 0.0,
        weak_confirm_apart_m: float = 0.0,
        faint_apart_m: float = 0.0,
        relink_speed_m_s: float = 0.0,
        relink_memory_s: float = 0.0,
        hidden_within_m: float = 0.0,
        max_hidden_s: float = 2.5,
        show_missed: int = 1,
        min_track_score: float = 0.0,
        appearance_weight_m: float = 0.0,
        in_view: ViewTest | None = None,
        body_within_m: float = 0.0,
        body_lines: BodyLines | None = None,
        tentative_wait_within_m: float = 0.0,
    ) -> None:
        for name, value in (
            ("max_distance_m", max_distance_m),
            ("max_age_s", max_age_s),
            ("max_hidden_s", max_hidden_s),
            ("accel_m_s2", accel_m_s2),
            ("measurement_m", measurement_m),
        ):
            if not value > 0:
                raise ValueError(f"{name} is {value}, should be > 0")
        for name, value in (
            ("min_separation_m", min_separation_m),
            ("weak_confirm_apart_m", weak_confirm_apart_m),
            ("faint_apart_m", faint_apart_m),
            ("relink_speed_m_s", relink_speed_m_s),
            ("relink_memory_s", relink_memory_s),
            ("hidden_within_m", hidden_within_m),
            ("appearance_weight_m", appearance_weight_m),
            ("body_within_m", body_within_m),
            ("tentative_wait_within_m", tentative_wait_within_m),
        ):
            if not value >= 0:
                raise ValueError(f"{name} is {value}, should be >= 0")
        if min_hits < 1:
            raise ValueError(f"min_hits is {min_hits}, should be >= 1")
        if show_missed < 0:
            raise ValueError(f"show_missed is {show_missed}, should be >= 0")
        if not 0 <= min_track_score <= 1:
            raise ValueError(f"min_track_score is {min_track_score}, should be 0 <= score <= 1")
        if not 0 <= low_score <= high_score <= 1:
            raise ValueError(
                f"low_score {low_score} and high_score {high_score} should be 0 <= low <= high <= 1"
            )
        self._max_distance_m = max_distance_m
        self._min_hits = min_hits
        self._max_age_s = max_age_s
        self._high = high_score
        self._low = low_score
        self._accel = accel_m_s2
        self._r = measurement_m**2
        self._min_separation_m = min_separation_m
        self._weak_confirm_apart_m = weak_confirm_apart_m
        self._faint_apart_m = faint_apart_m
        self._relink_speed_m_s = relink_speed_m_s
        self._relink_memory_s = relink_memory_s
        self._lost = _LostTracks.empty()
        self._hidden_within_m = hidden_within_m
        self._max_hidden_s = max_hidden_s
        self._show_missed = show_missed
        self._min_track_score = min_track_score
        self._appearance_weight_m = appearance_weight_m
        self._in_view = in_view
        self._body_within_m = body_within_m
        self._body_lines = body_lines
        self._tentative_wait_within_m = tentative_wait_within_m
        # Corners (m) of the box around every position where a confirmed track has been matched:
        # the floor the detector is known to cover. Four numbers, however long the tracker runs.
        self._seen_low_m = np.full(2, np.inf)
        self._seen_high_m = np.full(2, -np.inf)
        # A new track: where it was seen, speed unknown (~1 m/s standard deviation).
        self._start_covariance = np.diag([self._r, self._r, 1.0, 1.0])
        self._table = _TrackTable.empty()
        self._next_id = 1
        self._last_t_s: float | None = None
        self._given_heights = False  # whether any heights were added (`add_heights`)
        self._looking_since_s: float | None = None  # the first detecting update since the start (`_start`)
        self._motion_dt_s = -1.0  # the interval `_motion_matrices` are for
        self._motion_matrices = (np.eye(4), np.zeros((4, 4)))

    def __len__(self) -> int:
        """Tracks held (tentative and confirmed)."""
        return len(self._table)

    @property
    def tentative(self) -> int:
        """Tracks held that are not confirmed yet (fewer than `min_hits` matches)."""
        return int(np.count_nonzero(~self._table.confirmed))

    def update(self, points: FloorPoints, *, detected: bool = True) -> Tracks:
        """Advance to `points.t_s`, match, and return confirmed tracks and those that ended."""
        dt_s = 0.0 if self._last_t_s is None else max(0.0, points.t_s - self._last_t_s)
        self._last_t_s = points.t_s
        table = self._table
        if self._appearance_weight_m > 0 and points.appearance is not None:
            table.widen_appearance(points.appearance.shape[1])  # raises before anything has moved
        self._predict(dt_s)
        table.matched_now[:] = False
        table.detections[:] = -1
        if not detected:
            return self._coast(points.t_s, dt_s)
        if self._looking_since_s is None:
            self._looking_since_s = points.t_s
        scores = points.scores
        high = np.flatnonzero(scores >= self._high)
        low = np.flatnonzero((scores >= self._low) & (scores < self._high))
        confirmed = np.flatnonzero(table.confirmed)
        tentative = np.flatnonzero(~table.confirmed)
        # Stage 1: confident detections against confirmed tracks; stage 2: left-over confirmed
        # tracks against weak detections; stage 3: tentative tracks against left-over confident ones,
        # and overhead (3b) against left-over weak ones clear of everyone matched.
        left_tracks, left_high = self._associate(confirmed, points, high)
        left_tracks, left_low = self._associate(left_tracks, points, low)
        # Stage 2b, with appearance: a confirmed track still unmatched, predicted inside the picture,
        # takes a left-over confident detection that looks like it, outside its uncertainty gate.
        _, left_high = self._associate(self._predicted_in_view(left_tracks), points, left_high, by_looks=True)
        # Stage 2c, overhead: a confirmed track still unmatched follows a faint detection clear of
        # everyone, without being renewed by it.
        faintly_followed = self._follow_faintly(points, confirmed)
        left_high = self._apart_from_people(points.points_m, left_high, self._min_separation_m)
        left_tentative, left_high = self._associate(tentative, points, left_high)
        if self._weak_confirm_apart_m > 0:
            weak = self._apart_from_people(points.points_m, left_low, self._weak_confirm_apart_m)
            self._associate(left_tentative, points, weak)
        left_high = self._not_beside_a_first_miss(points.points_m, left_high)
        missed = np.flatnonzero(~table.matched_now)
        table.unseen_s[missed] += dt_s
        table.unseen_s[faintly_followed] += dt_s
        if self._in_view is not None and len(missed):
            walked_out = missed[~self._in_view(table.states[missed, :2])]
            table.unseen_s[walked_out] = np.inf  # ends below, whatever max_age_s
        matched_twice = table.matched_now & (table.misses == 0)  # matched at the last detection too
        table.misses = np.where(table.matched_now, 0, table.misses + 1)
        table.updates += 1
        merged = self._relink(confirmed, tentative)
        max_unseen_s: float | FloatArray = self._max_age_s
        if self._hidden_within_m > 0:
            hidden = self._hidden(missed)
            self._ride(hidden, matched_twice, points.t_s)
            max_unseen_s = np.where(hidden | (table.carriers >= 0), self._max_hidden_s, self._max_age_s)
        timed_out = (table.unseen_s > max_unseen_s) & ~merged
        ended = timed_out | ~(table.confirmed | table.matched_now | self._waiting()) | merged
        ended_ids = self._ended_ids(ended & ~merged, timed_out, points.t_s)
        table.keep(~ended)
        self._start(points, left_high)
        self._find_bodies()
        self._extend_seen_area()
        return self._report(points.t_s, ended_ids, coasting=False, points_m=points.points_m)

    def detections_wanting_heights(self) -> Rows:
        """The detections (indices into the last update's points) that started or renewed a track
        holding fewer than `_MAX_HEIGHT_READINGS` heights: the ones whose person's height is worth
        reading from the picture (`add_heights`)."""
        table = self._table
        wanting: Rows = table.detections[
            (table.detections >= 0) & (table.height_counts < _MAX_HEIGHT_READINGS)
        ]
        return wanting

    def add_heights(self, detections: Rows, heights_m: FloatArray) -> None:
        """Add the heights `heights_m` (N,) m read from the picture (NaN: not read) for the last update's
        detections `detections` (N,) to the tracks they started or renewed; from then on each track
        reports the mean of its readings once it has `_MIN_HEIGHT_READINGS` (`Tracks.heights_m`).

        Raises:
            ValueError: a detection renewed no track in the last update.
        """
        self._given_heights = True
        table = self._table
        row_of = {int(d): row for row, d in enumerate(table.detections.tolist()) if d >= 0}
        missing = [int(d) for d in detections.tolist() if int(d) not in row_of]
        if missing:
            raise ValueError(f"detections {missing} renewed no track in the last update")
        rows = np.array([row_of[int(d)] for d in detections.tolist()], dtype=np.intp)
        known = np.isfinite(heights_m)
        table.height_sums[rows[known]] += heights_m[known]
        table.height_counts[rows[known]] += 1

    def forget_appearance(self) -> None:
        """Forget what every track looks like (the light changed): the next detections it matches
        teach it anew, and until then its looks neither veto nor favour a match."""
        self._table.appearance[:] = np.nan

    def end_all(self, t_s: float) -> Tracks:
        """End every track (the source stopped): none left, the confirmed ones in `ended_ids`."""
        table = self._table
        ended_ids = tuple(table.ids[table.confirmed].tolist()) + tuple(self._lost.expire(np.inf).tolist())
        table.keep(np.zeros(len(table), dtype=bool))
        self._looking_since_s = None  # whoever is found when it comes back may have been there all along
        return Tracks(t_s, np.zeros(0, np.int64), np.zeros((0, 2)), ended_ids=ended_ids)

    def _coast(self, t_s: float, dt_s: float) -> Tracks:
        """A frame without detection: tracks seen at the last detection hold; the others keep ageing."""
        table = self._table
        table.unseen_s[table.unseen_s > 0] += dt_s
        ended = table.unseen_s > self._max_age_s
        ended_ids = self._ended_ids(ended, ended, t_s)
        table.keep(~ended)
        return self._report(t_s, ended_ids, coasting=True)

    def _ended_ids(self, ending: BoolArray, timed_out: BoolArray, t_s: float) -> IntArray:
        """The ids of the confirmed rows `ending` (a mask) that end at `t_s`, and of the remembered
        tracks whose memory ran out. With `relink_memory_s`, the confirmed rows `timed_out` in the
        picture (not those whose person walked out of it, unseen_s infinite) are remembered instead,
        until a new track takes their id or the memory runs out (`_relink`)."""
        table = self._table
        ending = ending & table.confirmed
        if self._relink_memory_s > 0 and timed_out.any():
            remembered = timed_out & table.confirmed & np.isfinite(table.unseen_s)
            self._lost.add(table, remembered, t_s + self._relink_memory_s)
            ending &= ~remembered
        if not len(self._lost):
            return table.ids[ending]
        return np.concatenate([table.ids[ending], self._lost.expire(t_s)])

    def _extend_seen_area(self) -> None:
        """Grow the seen area to hold the confirmed tracks matched in this update."""
        table = self._table
        people = table.states[table.confirmed & table.matched_now, :2]
        if len(people):
            self._seen_low_m = np.minimum(self._seen_low_m, people.min(axis=0))
            self._seen_high_m = np.maximum(self._seen_high_m, people.max(axis=0))

    def _report(
        self, t_s: float, ended_ids: IntArray, coasting: bool, points_m: FloatArray | None = None
    ) -> Tracks:
        """The confirmed tracks to show at `t_s`: matched now, or missed at most `show_missed` times
        in a row with the prediction inside the seen area, or, while coasting, seen last time; and
        with `min_track_score`, only those whose average score is that high. Each carries where the
        detection among `points_m` (N, 2) m that renewed it put it (`Tracks.detected_m`), or, when no
        detection matched it now (`Tracks.missed`: shown at its prediction), where its last one,
        renewing or faint, did (a hidden track riding with someone, `_ride`, is not missed); where its
        first detection did (`Tracks.born_m`), and whether that says which way its person came
        (`Tracks.came_into_view`, see `_start`). A track on a walker's body
        (`_find_bodies`) is not shown.

        A false track (a trolley's basket, a shoulder the model scores like a
        head for a few frames running) is confirmed as a person is, and the
        lines count it when it drifts across them; its detections score lower
        than a person's, frame after frame. Not reported, it counts nothing
        and adds no dwell or heatmap; it still holds its detections, so they
        do not start another track. A real track that took over from a false
        one is shown a few frames later (`_SCORE_RATE`).
        """
        table = self._table
        if coasting:
            seen = table.matched_now | (table.unseen_s == 0)
        else:
            position = table.states[:, :2]
            inside = ((position >= self._seen_low_m) & (position <= self._seen_high_m)).all(axis=1)
            seen = table.matched_now | ((table.misses <= self._show_missed) & inside) | (table.carriers >= 0)
        shown = table.confirmed & seen & (table.body_of < 0)
        if self._min_track_score > 0:
            shown &= table.scores >= self._min_track_score
        heights_m = None
        if self._given_heights:
            counts = table.height_counts[shown]
            enough = counts >= _MIN_HEIGHT_READINGS
            heights_m = np.full(len(counts), np.nan)
            heights_m[enough] = table.height_sums[shown][enough] / counts[enough]
        positions_m = table.states[shown, :2]
        detected_m = positions_m.copy()
        missed = np.zeros(len(positions_m), dtype=bool)
        if points_m is not None:
            detections = table.detections[shown]
            renewed = detections >= 0
            detected_m[renewed] = points_m[detections[renewed]]
            # A track riding with someone (`_ride`) is shown where they are, and is not missed.
            missed = ~table.matched_now[shown] & (table.carriers[shown] < 0)
            detected_m[missed] = table.last_detected_m[shown][missed]
        return Tracks(
            t_s,
            table.ids[shown],
            positions_m,
            ended_ids=tuple(ended_ids.tolist()),
            heights_m=heights_m,
            detected_m=detected_m,
            born_m=table.origins_m[shown],
            came_into_view=table.came_into_view[shown],
            missed=missed,
        )

    def _associate(
        self,
        tracks: Rows,
        points: FloorPoints,
        candidates: Rows,
        *,
        by_looks: bool = False,
        renew: bool = True,
    ) -> tuple[Rows, Rows]:
        """Match the table rows `tracks` to the detections `candidates`, correct the matched tracks
        together, and return the unmatched of each (in their order).

        The cost of a pair is its distance (m) plus, with appearance on, the
        difference of the two descriptors times `appearance_weight_m`.
        `by_looks`: a pair is allowed outside the track's uncertainty gate, up
        to `_REFIND_GATE` times as far, when both sides were seen and their
        descriptors differ by at most `_REFIND_APPEARANCE`. `renew` False: a
        match moves the track but neither counts as a hit nor resets its
        unseen time (`_follow_faintly`).
        """
        if not len(tracks) or not len(candidates):
            return tracks, candidates
        looks = self._looks(points, candidates)
        if by_looks and looks is None:
            return tracks, candidates
        detections_m = points.points_m[candidates]
        offsets = detections_m[None, :, :] - self._table.states[tracks, None, :2]
        dx, dy = offsets[..., 0], offsets[..., 1]
        distance_m = np.sqrt(dx * dx + dy * dy)
        s00, s01, s10, s11 = self._innovation_covariances(tracks)
        determinant = s00 * s11 - s01 * s10
        # Squared Mahalanobis distance d' S^-1 d with the 2x2 inverse written out.
        mahalanobis2 = (
            s11[:, None] * dx * dx - (s01 + s10)[:, None] * dx * dy + s00[:, None] * dy * dy
        ) / determinant[:, None]
        gate_chi2 = _GATE_CHI2 * _REFIND_GATE**2 if by_looks else _GATE_CHI2
        allowed = (distance_m <= self._max_distance_m) & (mahalanobis2 <= gate_chi2)
        cost = np.where(allowed, distance_m, _NO_MATCH)
        if looks is not None:
            self._weigh_looks(cost, allowed, tracks, looks, by_looks)
        if not allowed.any():
            return tracks, candidates
        rows, cols = _cheapest_pairs(cost)
        self._correct(
            tracks[rows],
            detections_m[cols],
            points.scores[candidates[cols]],
            None if looks is None else looks[cols],
            renew,
            candidates[cols],
        )
        left_tracks = np.ones(len(tracks), dtype=bool)
        left_tracks[rows] = False
        left_candidates = np.ones(len(candidates), dtype=bool)
        left_candidates[cols] = False
        return tracks[left_tracks], candidates[left_candidates]

    def _weigh_looks(
        self, cost: FloatArray, allowed: BoolArray, tracks: Rows, looks: FloatArray, by_looks: bool
    ) -> None:
        """Add what the descriptors say to `cost` (T, D) m and `allowed`, the pairs within the gates.

        Each allowed pair costs `appearance_weight_m` times its descriptors'
        difference more (`_UNKNOWN_LOOK` if either side was not seen).
        `by_looks`: only pairs that differ by at most `_REFIND_APPEARANCE` stay
        allowed. Otherwise, where a track has more than one detection in its
        gate, or a detection is in more than one track's, looks decide: pairs
        that differ by more than `_UNALIKE` are out. A track with a single
        detection in its gate, that no other track wants, keeps following it
        whatever exposure does to its colours (when the light changes at once
        for everyone, the caller has the tracks forget their looks:
        `forget_appearance`). Only the allowed pairs are compared: a handful
        per track, even in a crowd.
        """
        rows, cols = np.nonzero(allowed)
        difference = np.linalg.norm(
            self._table.appearance[tracks[rows]] - looks[cols], axis=1
        )  # NaN: not seen
        if by_looks:
            out = ~(difference <= _REFIND_APPEARANCE)
        else:
            contested = (allowed.sum(axis=1) > 1)[rows] | (allowed.sum(axis=0) > 1)[cols]
            out = contested & (difference > _UNALIKE)
        allowed[rows[out], cols[out]] = False
        cost[rows[out], cols[out]] = _NO_MATCH
        kept = ~out
        difference = np.where(np.isnan(difference), _UNKNOWN_LOOK, difference)
        cost[rows[kept], cols[kept]] += self._appearance_weight_m * difference[kept]

    def _innovation_covariances(self, tracks: Rows) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """The entries S00, S01, S10, S11 (m²) of each track's predicted position covariance plus noise."""
        position = self._table.covariances[tracks, :2, :2]
        return (
            position[:, 0, 0] + self._r,
            position[:, 0, 1],
            position[:, 1, 0],
            position[:, 1, 1] + self._r,
        )

    def _apart_from_people(self, points_m: FloatArray, candidates: Rows, distance_m: float) -> Rows:
        """The left-over detections not within `distance_m` (0: no test) of a person matched this update.

        Seen from above, two heads are at least a head apart; a second peak on
        a matched person's shoulder, bag or pram is that person again, and a
        track started on it follows them as a ghost that counts them twice at
        a line (`min_separation_m`). A weak detection needs to be farther
        still to feed a tentative track (`weak_confirm_apart_m`): a pram or a
        bag walks beside its person, often scoring 0.4-0.5. Not for side
        views, where people overlap in the image.
        """
        if distance_m == 0 or not len(candidates):
            return candidates
        kept: Rows = candidates[self._to_nearest_person_m(points_m[candidates]) >= distance_m]
        return kept

    def _to_nearest_person_m(self, points_m: FloatArray) -> FloatArray:
        """The distance (m) from each of `points_m` (N, 2) to the nearest confirmed track matched in
        this update (inf when nobody is)."""
        table = self._table
        people = table.states[table.confirmed & table.matched_now, :2]
        if not len(people) or not len(points_m):
            return np.full(len(points_m), np.inf)
        nearest: FloatArray = _pairwise_m(points_m, people).min(axis=1)
        return nearest

    def _hidden(self, missed: Rows) -> BoolArray:
        """A mask of the rows: the confirmed rows of `missed` predicted within `hidden_within_m` of a
        confirmed track matched in this update.

        Seen from a ceiling camera that is not straight above them, a child
        walking half a metre behind a parent has its head behind the parent's
        on the camera's line of sight, and taken to the floor at the
        calibration's head height the two land on one spot: one detection for
        two people, for as long as they walk in step (2 s in `busy` s2 and
        s4, across the line). The track that loses it is not gone, it is
        hidden, and may coast longer, so that the track started when the two
        part can take its id (`_relink`) and its side of each line.
        """
        table = self._table
        hidden = np.zeros(len(table), dtype=bool)
        lost = missed[table.confirmed[missed]]
        hidden[lost[self._to_nearest_person_m(table.states[lost, :2]) <= self._hidden_within_m]] = True
        return hidden

    def _waiting(self) -> BoolArray:
        """A mask of the rows: with `tentative_wait_within_m`, the tracks not confirmed yet that missed
        their first detection in a row in this update while predicted that near a confirmed track
        matched in it. They wait for the next detection; any other tentative track that missed ends.

        A tentative track that misses ends at once (ByteTrack): a false peak
        rarely shows twice in one place. Beside or behind someone, though, a
        person is found one frame in two: a child 0.25-0.3 m behind an adult
        under `busy`'s fisheye (seed 21 at 37.0-37.7 s, 0.68-0.83 when found),
        a parent beside a child at `entrance`'s door scored 0.41-0.58, over
        and under `high_score` (seed 18 at 10.7-11.7 s). Ending their track at
        each miss, nothing confirmed them before they were past the line.
        """
        table = self._table
        waiting = np.zeros(len(table), dtype=bool)
        if self._tentative_wait_within_m == 0:
            return waiting
        first_miss = np.flatnonzero(~table.confirmed & (table.misses == 1))
        near = self._to_nearest_person_m(table.states[first_miss, :2]) <= self._tentative_wait_within_m
        waiting[first_miss[near]] = True
        return waiting

    def _ride(self, hidden: BoolArray, matched_twice: BoolArray, t_s: float) -> None:
        """Hidden tracks (the mask `hidden` of the rows, from `_hidden`) that are missed for the first
        time, and are a person's (`_RIDE_MIN_AGE_S`, `_RIDE_MIN_MATCHED`, `min_track_score`) walking
        with the track they are hidden behind (`_RIDE_MAX_SPEED_DIFFERENCE_M_S`), ride with it: while
        missed, each takes that track's state and uncertainty, and `_report` shows it there. A ride
        ends when the rider is matched at two detections running (`matched_twice`, a mask of the
        rows), when its carrier ends, or `max_hidden_s` after it began (at `t_s`).

        The one detection that two people on one line of sight give is
        where both are: the hidden one crosses each line with the one in
        front, and is counted (a child walking behind a parent, `busy` s4
        and s7). Left on its own prediction, the hidden track drifts on the
        heading it had before (the two met, and turned together) and ends.
        Riding, it keeps the carrier's small uncertainty, so when the two
        part it takes the detection next to the carrier, not one farther
        off. A track matched once in a ride (the two heads' peaks part for a
        frame) rides on; the detections often blink there.
        """
        table = self._table
        riding = table.carriers >= 0
        over = riding & (matched_twice | (t_s - table.riding_since_t_s > self._max_hidden_s))
        table.carriers[over] = -1
        starting = np.flatnonzero(hidden & (table.misses == 1) & (table.carriers < 0))
        if len(starting):
            self._start_rides(starting, t_s)
        riders = np.flatnonzero((table.carriers >= 0) & ~table.matched_now)
        if not len(riders):
            return
        row_of = {track_id: row for row, track_id in enumerate(table.ids.tolist())}
        for rider in riders.tolist():
            carrier = row_of.get(int(table.carriers[rider]))
            if carrier is None or not table.confirmed[carrier]:  # the carrier ended
                table.carriers[rider] = -1
                continue
            table.states[rider] = table.states[carrier]
            table.covariances[rider] = table.covariances[carrier]

    def _start_rides(self, rows: Rows, t_s: float) -> None:
        """Of the hidden rows `rows`, missed for the first time, the steady ones start riding with the
        nearest confirmed track matched in this update, when their velocities are close enough (see
        `_ride`)."""
        table = self._table
        followed_s = table.last_seen_t_s[rows] - table.born_t_s[rows]
        steady = (followed_s >= _RIDE_MIN_AGE_S) & (
            table.hits[rows] >= _RIDE_MIN_MATCHED * (table.updates[rows] - 1)
        )
        if self._min_track_score > 0:
            steady &= table.scores[rows] >= self._min_track_score
        rows = rows[steady]
        people = np.flatnonzero(table.confirmed & table.matched_now)
        if not len(rows) or not len(people):
            return
        nearest = people[_pairwise_m(table.states[rows, :2], table.states[people, :2]).argmin(axis=1)]
        together = (
            np.linalg.norm(table.states[rows, 2:] - table.states[nearest, 2:], axis=1)
            <= _RIDE_MAX_SPEED_DIFFERENCE_M_S
        )
        table.carriers[rows[together]] = table.ids[nearest[together]]
        table.riding_since_t_s[rows[together]] = t_s

    def _follow_faintly(self, points: FloorPoints, tracks: Rows) -> Rows:
        """Stage 2c, overhead (`faint_apart_m`): the confirmed rows `tracks` still unmatched that were
        matched at the previous detection take faint detections (under `low_score`) clear of every
        other detection and of everyone matched (`_lone`) and not at the picture's edge
        (`_well_inside`) unless ahead of a walking track (`_ahead_of`); returns the rows that took one.

        At the edge a faint peak is as likely the shoulders of someone whose
        head has just left the picture, unless it lies ahead of the nearest
        such track's prediction while that track walks: seen from above, the
        shoulders lie behind it or beside it. Such a match moves the track with its person
        but does not renew it: it is no hit towards confirmation, and
        the track's unseen time keeps running, so a track followed only by
        faint detections still ends after `max_age_s`, as an unseen one does,
        and one that settles on a faint peak where nobody is (a bag on the
        floor) does not live on there. Tentative tracks do not take faint
        detections (tried on the accuracy clips: no count and no IDF1 changed).
        """
        table = self._table
        if self._faint_apart_m == 0 or not len(tracks):
            return np.zeros(0, dtype=np.intp)
        candidates: Rows = tracks[~table.matched_now[tracks] & (table.misses[tracks] == 0)]
        if not len(candidates):
            return candidates
        # The cheap test first: in a crowd few faint peaks are clear of everyone; the view test
        # projects each of them through the lens four times.
        faint = self._lone(points.points_m, np.flatnonzero(points.scores < self._low), self._faint_apart_m)
        inside = self._well_inside(points.points_m, faint)
        faint = np.union1d(inside, self._ahead_of(points.points_m, np.setdiff1d(faint, inside), candidates))
        left, _ = self._associate(candidates, points, faint, renew=False)
        followed: Rows = candidates[~np.isin(candidates, left)]
        return followed

    def _relink(self, confirmed: Rows, tentative: Rows) -> BoolArray:
        """Of the rows `tentative` at the start of this update, those confirmed in it that began where
        one of the rows `confirmed` then, missed now, or a remembered track (`relink_memory_s`, within
        `max_distance_m`) could have walked since its last match (`relink_speed_m_s`), and whose
        colours differ from its by at most `_RELINK_APPEARANCE` where both are known, take that track's
        id; returns a mask of the rows so taken over (to drop without ending them; a remembered track
        taken is forgotten). The rows stay put until the update ends tracks.

        A person the detector lost in a crowd for a few frames starts a new
        track; handing it the old id keeps their identity, their visit and
        their side of each line.
        """
        table = self._table
        taken = np.zeros(len(table), dtype=bool)
        if self._relink_speed_m_s == 0:
            return taken
        new = tentative[table.confirmed[tentative]]
        # Not a track whose person walked out of the picture: someone coming in there is someone else.
        lost = confirmed[~table.matched_now[confirmed] & np.isfinite(table.unseen_s[confirmed])]
        remembered = self._lost
        if not len(new) or not len(lost) + len(remembered):
            return taken
        width = table.appearance.shape[1]
        lost_ids = np.concatenate([table.ids[lost], remembered.ids])
        lost_seen_m = np.concatenate([table.last_seen_m[lost], remembered.last_seen_m])
        lost_seen_t_s = np.concatenate([table.last_seen_t_s[lost], remembered.last_seen_t_s])
        gap_s = table.born_t_s[new][:, None] - lost_seen_t_s[None, :]
        distance_m = _pairwise_m(table.origins_m[new], lost_seen_m)
        reach_m = self._relink_speed_m_s * gap_s + 2 * np.sqrt(self._r) + _RELINK_MARGIN_M
        # A remembered track is taken only near where it was lost: longer gone, a walk at full speed
        # reaches someone else.
        reach_m[:, len(lost) :] = np.minimum(reach_m[:, len(lost) :], self._max_distance_m)
        allowed = (gap_s >= 0) & (distance_m <= reach_m)
        if width:
            looks = np.concatenate([table.appearance[lost], remembered.looks(width)])
            difference = _pairwise_m(table.appearance[new], looks)
            allowed &= ~(difference > _RELINK_APPEARANCE)  # NaN (either not seen): allowed
        if not allowed.any():
            return taken
        rows, cols = _cheapest_pairs(np.where(allowed, distance_m, _NO_MATCH))
        table.ids[new[rows]] = lost_ids[cols]
        taken[lost[cols[cols < len(lost)]]] = True
        remembered.forget(cols[cols >= len(lost)] - len(lost))
        return taken

    def _find_bodies(self) -> None:
        """Look at where the tracks matched in this update were detected (`last_detected_m`), with
        `body_within_m` and `body_lines`: a new track whose detection lies on the body line of a
        confirmed person walking (`_WALKING_M_S`) is on their body (`body_of`, their
        id), and stays so while each detection that matches it lies on the same person's body line
        and they walk on; otherwise it is not, and never will be. A track on a body is not reported
        (`_report`); one that leaves it is reported from then on, and starts where it left it
        (`Tracks.born_m`): whatever lines it crossed on the body count nothing.

        A fisheye draws a walker's body long at the picture's rim, and the model
        may score a peak on it like a head, frame after frame (`busy` seed 15 at
        10.0 s: 0.63 on the legs of a shopper walking towards the camera), and a
        track of its own then walks with them, across the lines they cross,
        ahead of them (`agent.track.body`). Someone walking right in front of
        another on the camera's line of sight lies there too, for a while; as
        their ways part, or the front one passes below the camera, their
        detections leave the body line, and they are reported from there.
        """
        if self._body_within_m == 0 or self._body_lines is None:
            return
        table = self._table
        on = np.flatnonzero(table.matched_now & (table.body_of >= 0))
        new = np.flatnonzero(table.matched_now & (table.body_of == _NOT_LOOKED))
        if not len(on) and not len(new):
            return
        walkers = table.confirmed & (table.body_of < 0) & _walking(table.states[:, 2:])
        if len(on):  # still on the same walker's body?
            same = table.ids[None, :] == table.body_of[on, None]  # (on, T): each one's walker, if here
            walker_rows = np.argmax(same, axis=1)
            still = same.any(axis=1) & walkers[walker_rows]
            still[still] = self._body_lines.on_bodies(
                table.last_detected_m[on[still]], table.states[walker_rows[still], :2], self._body_within_m
            )
            left = on[~still]
            table.body_of[left] = -1
            table.origins_m[left] = table.last_detected_m[left]
        table.body_of[new] = -1
        if len(new) and walkers.any():  # a new track on anyone's body?
            walker_rows = np.flatnonzero(walkers)
            bearers = self._body_lines.bearers(
                table.last_detected_m[new], table.states[walker_rows, :2], self._body_within_m
            )
            table.body_of[new[bearers >= 0]] = table.ids[walker_rows[bearers[bearers >= 0]]]

    def _well_inside(self, points_m: FloatArray, candidates: Rows) -> Rows:
        """The detections `candidates` that are `_EDGE_MARGIN_M` or more inside the camera's view in
        every direction along the floor's axes (all of them when the view is unknown)."""
        if self._in_view is None or not len(candidates):
            return candidates
        # One view test for the four shifted copies: each test projects through the lens, whose
        # fixed cost per call outweighs a few points.
        shifted = points_m[candidates][None, :, :] + _EDGE_STEPS_M[:, None, :]
        inside = self._in_view(shifted.reshape(-1, 2)).reshape(len(_EDGE_STEPS_M), -1).all(axis=0)
        kept: Rows = candidates[inside]
        return kept

    def _ahead_of(self, points_m: FloatArray, candidates: Rows, tracks: Rows) -> Rows:
        """The detections `candidates` that lie ahead of the prediction of the nearest of the rows
        `tracks`, farther along its velocity than across it, while it walks (`_walking`)."""
        if not len(candidates) or not len(tracks):
            return np.zeros(0, dtype=np.intp)
        states = self._table.states[tracks]
        nearest = _pairwise_m(points_m[candidates], states[:, :2]).argmin(axis=1)
        offset_m = points_m[candidates] - states[nearest, :2]
        velocity_m_s = states[nearest, 2:]
        walking = _walking(velocity_m_s)
        # Along and across the way, both times the speed: only their order matters.
        along = (offset_m * velocity_m_s).sum(axis=1)
        across = np.abs(offset_m[:, 0] * velocity_m_s[:, 1] - offset_m[:, 1] * velocity_m_s[:, 0])
        ahead: Rows = candidates[walking & (along > across)]
        return ahead

    def _lone(self, points_m: FloatArray, candidates: Rows, distance_m: float) -> Rows:
        """The detections `candidates` at least `distance_m` from every other detection and from
        everyone matched in this update (`_apart_from_people`).

        A faint peak (under `low_score`) in a crowd is as likely a shoulder, a
        bag or a neighbour's second peak as a missed head, and a track that
        takes it drifts onto someone else; a faint peak with nobody else near
        is the person the track lost, scored low for a moment (a head whose
        hair is the colour of the floor, straight under the camera).
        """
        if not len(candidates):
            return candidates
        others = _pairwise_m(points_m[candidates], points_m)
        others[np.arange(len(candidates)), candidates] = np.inf
        alone: Rows = candidates[others.min(axis=1) >= distance_m]
        return self._apart_from_people(points_m, alone, distance_m)

    def _not_beside_a_first_miss(self, points_m: FloatArray, candidates: Rows) -> Rows:
        """The left-over detections farther than `max_distance_m` from every confirmed track that was
        matched at the previous detection and is missed at this one; only those may start tracks.

        Such a detection is most likely that person, placed badly (a box's foot
        point jumps with the box's height), outside the track's tight
        uncertainty gate. A track started on it would be a second track on the
        person, the two taking turns at the person's detections: an identity
        switch each time (11 in one TUD-Stadtmitte draw). A newcomer who really
        appears there starts one detection later.
        """
        table = self._table
        first_miss = table.confirmed & ~table.matched_now & (table.misses == 0)
        if not len(candidates) or not first_miss.any():
            return candidates
        missed_m = table.states[first_miss, :2]
        nearest = _pairwise_m(points_m[candidates], missed_m).min(axis=1)
        kept: Rows = candidates[nearest > self._max_distance_m]
        return kept

    def _predicted_in_view(self, tracks: Rows) -> Rows:
        """The table rows `tracks` whose prediction lies in the picture (all of them if the view is unknown).

        A track predicted outside it lost its person through the image's
        edge: someone coming in there is someone else, however alike they look.
        """
        if self._in_view is None or not len(tracks):
            return tracks
        inside: Rows = tracks[self._in_view(self._table.states[tracks, :2])]
        return inside

    def _looks(self, points: FloorPoints, rows: Rows) -> FloatArray | None:
        """The descriptors of detections `rows`, or None when appearance is off or not given."""
        if self._appearance_weight_m == 0 or points.appearance is None:
            return None
        return points.appearance[rows]

    def _start(self, points: FloorPoints, rows: Rows) -> None:
        """A tentative track (confirmed at once if `min_hits` is 1) at each detection `rows`.

        Where a track's first detection lies (`Tracks.born_m`) says which way
        its person came only when the camera could have seen them come
        (`Tracks.came_into_view`): not within `max_age_s` of the first
        detecting update since the tracker started or its source stopped
        (`end_all`), for someone missed that long is still the person who was
        there (they may have been standing there all along), nor within
        `_EDGE_MARGIN_M` of the picture's edge along the floor's axes
        (`_well_inside`: they walked into view there, from wherever beyond it;
        known only when the tracker is given the camera's view, `in_view`).
        """
        if not len(rows):
            return
        positions_m = points.points_m[rows]
        looking_s = 0.0 if self._looking_since_s is None else points.t_s - self._looking_since_s
        came_into_view = np.zeros(len(rows), dtype=bool)
        if looking_s >= self._max_age_s:
            came_into_view = np.isin(rows, self._well_inside(points.points_m, rows))
        self._table.append(
            self._next_id,
            points.t_s,
            positions_m,
            points.scores[rows],
            self._start_covariance,
            self._min_hits <= 1,
            self._looks(points, rows),
            rows,
            came_into_view,
        )
        self._next_id += len(positions_m)

    def _predict(self, dt_s: float) -> None:
        """Move every track `dt_s` seconds ahead at constant velocity, in one array operation."""
        table = self._table
        if dt_s <= 0 or not len(table):
            return
        transition, noise = self._motion(dt_s)
        table.states = table.states @ transition.T
        table.covariances = transition @ table.covariances @ transition.T + noise

    def _motion(self, dt_s: float) -> tuple[FloatArray, FloatArray]:
        """The constant-velocity transition and its process noise over `dt_s`, kept for the last interval.

        Frames come at a steady rate, so the same two 4 x 4 matrices serve
        nearly every update; building them cost more than applying them.
        """
        if self._motion_dt_s != dt_s:
            transition = np.eye(4)
            transition[0, 2] = transition[1, 3] = dt_s
            # Piecewise-constant white acceleration of standard deviation `accel_m_s2`.
            g = np.array([[dt_s**2 / 2, 0], [0, dt_s**2 / 2], [dt_s, 0], [0, dt_s]])
            self._motion_matrices = (transition, g @ g.T * self._accel**2)
            self._motion_dt_s = dt_s
        return self._motion_matrices

    def _correct(
        self,
        tracks: Rows,
        positions_m: FloatArray,
        scores: FloatArray,
        looks: FloatArray | None,
        renew: bool,
        detections: Rows,
    ) -> None:
        """Update the table rows `tracks` with their matched detections `positions_m` (M, 2) and
        `scores` (M,), together, and their descriptors with `looks` (M, K) when given (an exponential
        moving average at `_APPEARANCE_RATE`; the first one as it is, a NaN row leaves the track's as
        it was). Only a renewing match (`renew`) moves a track's average score (`_SCORE_RATE`) and
        records its detection's index in this update's points, `detections` (M,) (`add_heights`)."""
        if not len(tracks):
            return
        table = self._table
        covariances = table.covariances[tracks]
        states = table.states[tracks]
        s00, s01, s10, s11 = self._innovation_covariances(tracks)
        determinant = s00 * s11 - s01 * s10
        inverse = np.empty((len(tracks), 2, 2))
        inverse[:, 0, 0], inverse[:, 0, 1], inverse[:, 1, 0], inverse[:, 1, 1] = s11, -s01, -s10, s00
        inverse /= determinant[:, None, None]
        gain = covariances[:, :, :2] @ inverse  # (M, 4, 2): P H' S^-1, H picking the position
        innovation = positions_m - states[:, :2]
        table.states[tracks] = states + (gain @ innovation[:, :, None])[:, :, 0]
        table.covariances[tracks] = covariances - gain @ covariances[:, :2, :]  # (I - K H) P
        table.last_detected_m[tracks] = positions_m
        if renew:
            table.last_seen_m[tracks] = table.states[tracks, :2]
            table.last_seen_t_s[tracks] = self._last_t_s
            table.hits[tracks] += 1
            table.scores[tracks] += _SCORE_RATE * (scores - table.scores[tracks])
            table.unseen_s[tracks] = 0.0
            table.confirmed[tracks] |= table.hits[tracks] >= self._min_hits
            table.detections[tracks] = detections
        table.matched_now[tracks] = True
        if looks is not None:
            known = table.appearance[tracks]
            updated = np.where(np.isnan(known), looks, known + _APPEARANCE_RATE * (looks - known))
            table.appearance[tracks] = np.where(np.isnan(looks), known, updated)  # not seen: kept
