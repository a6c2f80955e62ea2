"""A straightforward per-track Kalman tracker: the reference the batched `KalmanTracker` must agree with.

The same filter, gates, stages and lifecycle as `agent.track.kalman`, written
one track at a time with general matrix algebra (`np.linalg.inv`), as the
tracker was before its filters moved into arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from agent.track.kalman import _GATE_CHI2, _NO_MATCH
from agent.types import FloorPoints, Tracks

_H = np.eye(2, 4)  # measurement: the position


@dataclass
class _Track:
    id: int
    state: np.ndarray  # x, y (m), vx, vy (m/s)
    covariance: np.ndarray
    hits: int = 1
    unseen_s: float = 0.0
    confirmed: bool = False
    matched_now: bool = True
    misses: int = 0


class ReferenceKalmanTracker:
    """`KalmanTracker`'s behaviour, one track and one matrix at a time (defaults as the real one)."""

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
        show_missed: int = 1,
    ) -> None:
        self.max_distance_m, self.min_hits, self.max_age_s = max_distance_m, min_hits, max_age_s
        self.high, self.low, self.accel, self.r = high_score, low_score, accel_m_s2, measurement_m**2
        self.min_separation_m = min_separation_m
        self.weak_confirm_apart_m = weak_confirm_apart_m
        self.faint_apart_m = faint_apart_m
        self.show_missed = show_missed
        self.seen: list[np.ndarray] = []  # every position a confirmed track was matched at
        self.tracks: list[_Track] = []
        self.next_id = 1
        self.last_t_s: float | None = None

    def update(self, points: FloorPoints, *, detected: bool = True) -> Tracks:
        """As `KalmanTracker.update`."""
        dt_s = 0.0 if self.last_t_s is None else max(0.0, points.t_s - self.last_t_s)
        self.last_t_s = points.t_s
        self._dt_s = dt_s
        for track in self.tracks:
            if dt_s > 0:
                f = np.eye(4)
                f[0, 2] = f[1, 3] = dt_s
                g = np.array([[dt_s**2 / 2, 0], [0, dt_s**2 / 2], [dt_s, 0], [0, dt_s]])
                track.state = f @ track.state
                track.covariance = f @ track.covariance @ f.T + g @ g.T * self.accel**2
            track.matched_now = False
        if not detected:
            for track in self.tracks:
                track.unseen_s += dt_s if track.unseen_s > 0 else 0.0
            return self._end_and_report(points.t_s, coasting=True)
        xy, scores = points.points_m, points.scores
        high = [i for i, s in enumerate(scores) if s >= self.high]
        low = [i for i, s in enumerate(scores) if self.low <= s < self.high]
        left, left_high = self._associate([t for t in self.tracks if t.confirmed], xy, high)
        _, left_low = self._associate(left, xy, low)
        if self.faint_apart_m > 0:
            candidates = [t for t in self.tracks if t.confirmed and not t.matched_now and t.misses == 0]
            self._associate(candidates, xy, self._lone_faint(xy, scores), renew=False)
        left_high = self._apart(xy, left_high, self.min_separation_m)
        left_tentative, left_high = self._associate(
            [t for t in self.tracks if not t.confirmed], xy, left_high
        )
        if self.weak_confirm_apart_m > 0:
            self._associate(left_tentative, xy, self._apart(xy, left_low, self.weak_confirm_apart_m))
        first_misses = [t for t in self.tracks if t.confirmed and not t.matched_now and t.misses == 0]
        left_high = [
            i
            for i in left_high
            if all(np.linalg.norm(xy[i] - t.state[:2]) > self.max_distance_m for t in first_misses)
        ]
        for i in left_high:
            start = _Track(self.next_id, np.array([*xy[i], 0.0, 0.0]), np.diag([self.r, self.r, 1.0, 1.0]))
            start.confirmed = self.min_hits <= 1
            self.tracks.append(start)
            self.next_id += 1
        for track in self.tracks:
            track.unseen_s += 0.0 if track.matched_now else dt_s
            track.misses = 0 if track.matched_now else track.misses + 1
            if track.confirmed and track.matched_now:
                self.seen.append(track.state[:2].copy())
        return self._end_and_report(points.t_s, coasting=False)

    def _lone_faint(self, xy: np.ndarray, scores: np.ndarray) -> list[int]:
        """Detections under `low` at least `faint_apart_m` from every other one and every person matched."""
        lone = [
            i
            for i, score in enumerate(scores)
            if score < self.low
            and all(np.linalg.norm(xy[i] - xy[j]) >= self.faint_apart_m for j in range(len(xy)) if j != i)
        ]
        return self._apart(xy, lone, self.faint_apart_m)

    def _apart(self, xy: np.ndarray, candidates: list[int], distance_m: float) -> list[int]:
        """The `candidates` at least `distance_m` from every confirmed track matched now (0: all)."""
        people = [t.state[:2] for t in self.tracks if t.confirmed and t.matched_now]
        if distance_m == 0 or not people:
            return candidates
        return [i for i in candidates if min(np.linalg.norm(xy[i] - p) for p in people) >= distance_m]

    def _end_and_report(self, t_s: float, coasting: bool) -> Tracks:
        def ends(t: _Track) -> bool:
            return t.unseen_s > self.max_age_s or (not coasting and not t.confirmed and not t.matched_now)

        ended = [t.id for t in self.tracks if ends(t) and t.confirmed]
        self.tracks = [t for t in self.tracks if not ends(t)]

        def inside_seen_area(t: _Track) -> bool:
            return bool(self.seen) and all(
                min(p[axis] for p in self.seen) <= t.state[axis] <= max(p[axis] for p in self.seen)
                for axis in (0, 1)
            )

        def shown_now(t: _Track) -> bool:
            if coasting:
                return t.matched_now or t.unseen_s == 0
            return t.matched_now or (t.misses <= self.show_missed and inside_seen_area(t))

        shown = [t for t in self.tracks if t.confirmed and shown_now(t)]
        positions = np.array([t.state[:2] for t in shown]).reshape(-1, 2)
        return Tracks(t_s, np.array([t.id for t in shown], dtype=np.int64), positions, tuple(ended))

    def _associate(
        self, tracks: list[_Track], xy: np.ndarray, candidates: list[int], renew: bool = True
    ) -> tuple[list[_Track], list[int]]:
        if not tracks or not candidates:
            return tracks, candidates
        cost = np.full((len(tracks), len(candidates)), _NO_MATCH)
        for r, track in enumerate(tracks):
            s_inv = np.linalg.inv(_H @ track.covariance @ _H.T + np.eye(2) * self.r)
            for c, index in enumerate(candidates):
                offset = xy[index] - track.state[:2]
                distance_m = float(np.linalg.norm(offset))
                if distance_m <= self.max_distance_m and offset @ s_inv @ offset <= _GATE_CHI2:
                    cost[r, c] = distance_m
        matched_tracks, matched_points = set(), set()
        for r, c in zip(*linear_sum_assignment(cost), strict=True):
            if cost[r, c] < _NO_MATCH:
                self._correct(tracks[r], xy[candidates[c]], renew)
                matched_tracks.add(r)
                matched_points.add(c)
        return (
            [t for r, t in enumerate(tracks) if r not in matched_tracks],
            [i for c, i in enumerate(candidates) if c not in matched_points],
        )

    def _correct(self, track: _Track, position_m: np.ndarray, renew: bool = True) -> None:
        s = _H @ track.covariance @ _H.T + np.eye(2) * self.r
        gain = track.covariance @ _H.T @ np.linalg.inv(s)
        track.state = track.state + gain @ (position_m - _H @ track.state)
        track.covariance = (np.eye(4) - gain @ _H) @ track.covariance
        track.matched_now = True
        if not renew:  # a faint match moves the track but does not renew it
            track.unseen_s += self._dt_s
            return
        track.hits += 1
        track.unseen_s = 0.0
        track.confirmed = track.confirmed or track.hits >= self.min_hits
