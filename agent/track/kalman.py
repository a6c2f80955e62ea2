"""A ByteTrack-style tracker on the floor: Kalman filter, two-stage association, metres.

Each track is a constant-velocity Kalman filter over (x, y, vx, vy) in floor
metres. Association follows ByteTrack: confident detections are matched to
every track first, then the left-over tracks get a second chance with the
low-score detections (a half-occluded person scores low but is still the
same person), and only confident detections may start a track. Matching is
optimal (Hungarian, scipy) on the distance to each track's prediction,
gated twice: in metres (`max_distance_m`: on a floor a gate has a physical
meaning, nobody walks 1 m in a fifteenth of a second, which an image-space
IoU gate does not) and by the track's own uncertainty (a chi-square gate on
the innovation). The second gate is tight for a person followed frame after
frame and widens, up to the metric cap, while a track coasts unseen: so a
person whose detection drops out for a frame does not hand their track to a
newcomer 40 cm away, yet a track lost for a while can still be found again.

A track is reported only once confirmed (`min_hits` matches), a tentative
track that misses once is dropped, and a track unseen for `max_age_s` of
detecting time ends. When the motion gate skips detection, `update` is
called with `detected=False`: tracks coast on their prediction and do not
age. Everything a track holds dies with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from agent.types import FloorPoints, Tracks

FloatArray = npt.NDArray[np.float64]

_NO_MATCH = 1e6  # cost of a gated-out pair (metres): never chosen
# Squared Mahalanobis distance holding 99.9 % of a 2-D Gaussian innovation: while the noise
# settings hold, a person's own detection falls outside it about once in a thousand updates.
_GATE_CHI2 = 13.8


@dataclass
class _KalmanTrack:
    id: int
    state: FloatArray  # x, y (m), vx, vy (m/s)
    covariance: FloatArray
    hits: int = 1
    unseen_s: float = 0.0
    confirmed: bool = False
    matched_now: bool = True


class KalmanTracker:
    """Multi-object tracker in floor metres (see module docstring).

    Arguments: `max_distance_m` gate; `min_hits` matches to confirm;
    `max_age_s` unseen detecting time before a track ends; `high_score` and
    `low_score` split detections for the two association stages;
    `accel_m_s2` and `measurement_m` are the filter's process and measurement
    noise (standard deviations).

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
    ) -> None:
        for name, value in (
            ("max_distance_m", max_distance_m),
            ("max_age_s", max_age_s),
            ("accel_m_s2", accel_m_s2),
            ("measurement_m", measurement_m),
        ):
            if not value > 0:
                raise ValueError(f"{name} is {value}, should be > 0")
        if min_hits < 1:
            raise ValueError(f"min_hits is {min_hits}, should be >= 1")
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
        self._tracks: list[_KalmanTrack] = []
        self._next_id = 1
        self._last_t_s: float | None = None

    def __len__(self) -> int:
        """Tracks held (tentative and confirmed)."""
        return len(self._tracks)

    def update(self, points: FloorPoints, *, detected: bool = True) -> Tracks:
        """Advance to `points.t_s`, match, and return confirmed tracks and those that ended."""
        dt_s = 0.0 if self._last_t_s is None else max(0.0, points.t_s - self._last_t_s)
        self._last_t_s = points.t_s
        for track in self._tracks:
            self._predict(track, dt_s)
            track.matched_now = False
        if not detected:
            return self._report(points.t_s, ended=[], coasting=True)
        scores = points.scores
        high = np.flatnonzero(scores >= self._high)
        low = np.flatnonzero((scores >= self._low) & (scores < self._high))
        confirmed = [t for t in self._tracks if t.confirmed]
        tentative = [t for t in self._tracks if not t.confirmed]
        # Stage 1: confident detections against confirmed tracks; stage 2: left-over confirmed
        # tracks against weak detections; stage 3: tentative tracks against left-over confident ones.
        left_tracks, left_high = self._associate(confirmed, points.points_m, high)
        left_tracks, _ = self._associate(left_tracks, points.points_m, low)
        _, left_high = self._associate(tentative, points.points_m, left_high)
        for index in left_high:
            self._start(points.points_m[index])
        ended: list[_KalmanTrack] = []
        kept: list[_KalmanTrack] = []
        for track in self._tracks:
            if not track.matched_now:
                track.unseen_s += dt_s
            expired = track.unseen_s > self._max_age_s
            missed_tentative = not track.confirmed and not track.matched_now
            (ended if expired or missed_tentative else kept).append(track)
        self._tracks = kept
        return self._report(points.t_s, ended=ended, coasting=False)

    def _report(self, t_s: float, ended: list[_KalmanTrack], coasting: bool) -> Tracks:
        shown = [t for t in self._tracks if t.confirmed and (coasting or t.matched_now)]
        return Tracks(
            t_s,
            np.array([t.id for t in shown], dtype=np.int64),
            np.array([t.state[:2] for t in shown]).reshape(-1, 2),
            ended_ids=tuple(t.id for t in ended if t.confirmed),
        )

    def _associate(
        self, tracks: list[_KalmanTrack], points_m: FloatArray, candidates: npt.NDArray[np.intp]
    ) -> tuple[list[_KalmanTrack], npt.NDArray[np.intp]]:
        """Match `tracks` to the detections `candidates`; return the unmatched of each."""
        if not tracks or not len(candidates):
            return tracks, candidates
        predicted = np.array([t.state[:2] for t in tracks])
        offsets = points_m[candidates][None, :, :] - predicted[:, None, :]
        cost = np.linalg.norm(offsets, axis=2)
        innovation = np.array([t.covariance[:2, :2] for t in tracks]) + np.eye(2) * self._r
        mahalanobis2 = np.einsum("tdi,tij,tdj->td", offsets, np.linalg.inv(innovation), offsets)
        allowed = (cost <= self._max_distance_m) & (mahalanobis2 <= _GATE_CHI2)
        cost = np.where(allowed, cost, _NO_MATCH)
        rows, cols = linear_sum_assignment(cost)
        matched_tracks, matched_points = set(), set()
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            if cost[r, c] >= _NO_MATCH:
                continue
            self._correct(tracks[r], points_m[candidates[c]])
            matched_tracks.add(r)
            matched_points.add(c)
        left_tracks = [t for i, t in enumerate(tracks) if i not in matched_tracks]
        left_points = np.array(
            [p for i, p in enumerate(candidates) if i not in matched_points], dtype=np.intp
        )
        return left_tracks, left_points

    def _start(self, position_m: FloatArray) -> None:
        covariance = np.diag([self._r, self._r, 1.0, 1.0])  # speed unknown: ~1 m/s standard deviation
        track = _KalmanTrack(self._next_id, np.array([*position_m, 0.0, 0.0]), covariance)
        track.confirmed = self._min_hits <= 1
        self._tracks.append(track)
        self._next_id += 1

    def _predict(self, track: _KalmanTrack, dt_s: float) -> None:
        if dt_s <= 0:
            return
        transition = np.eye(4)
        transition[0, 2] = transition[1, 3] = dt_s
        # Piecewise-constant white acceleration of standard deviation `accel_m_s2`.
        g = np.array([[dt_s**2 / 2, 0], [0, dt_s**2 / 2], [dt_s, 0], [0, dt_s]])
        noise = g @ g.T * self._accel**2
        track.state = transition @ track.state
        track.covariance = transition @ track.covariance @ transition.T + noise

    def _correct(self, track: _KalmanTrack, position_m: FloatArray) -> None:
        h = np.zeros((2, 4))
        h[0, 0] = h[1, 1] = 1.0
        innovation = position_m - h @ track.state
        s = h @ track.covariance @ h.T + np.eye(2) * self._r
        gain = track.covariance @ h.T @ np.linalg.inv(s)
        track.state = track.state + gain @ innovation
        track.covariance = (np.eye(4) - gain @ h) @ track.covariance
        track.hits += 1
        track.unseen_s = 0.0
        track.matched_now = True
        if track.hits >= self._min_hits:
            track.confirmed = True
