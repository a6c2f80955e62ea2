"""A small multi-object tracker on the floor: greedy nearest-neighbour with gating.

Tracks are matched to detections by distance in metres to their predicted
position (constant velocity). Matching is greedy on the sorted pair
distances: with people at least ~0.4 m apart and a gate below that spacing
times two, greedy and optimal assignment agree, and greedy costs no solver.
A track is reported only after `min_hits` detections (so a flicker of noise
never counts) and ends after `max_age_s` unseen. All state lives in the
track and dies with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agent.types import FloorPoints, Tracks

# Weight of a new velocity measurement against the running estimate.
_VELOCITY_GAIN = 0.5


@dataclass
class _Track:
    id: int
    position_m: np.ndarray
    velocity_m_s: np.ndarray
    last_seen_s: float
    hits: int


class NearestTracker:
    """Greedy nearest-neighbour tracker in floor metres.

    Raises:
        ValueError: an argument is out of range, named with its value.
    """

    def __init__(self, max_distance_m: float, min_hits: int, max_age_s: float) -> None:
        if not max_distance_m > 0:
            raise ValueError(f"max_distance_m is {max_distance_m}, should be > 0")
        if min_hits < 1:
            raise ValueError(f"min_hits is {min_hits}, should be >= 1")
        if not max_age_s > 0:
            raise ValueError(f"max_age_s is {max_age_s}, should be > 0")
        self._max_distance_m = max_distance_m
        self._min_hits = min_hits
        self._max_age_s = max_age_s
        self._tracks: list[_Track] = []
        self._next_id = 1

    def __len__(self) -> int:
        """Tracks held (tentative and confirmed)."""
        return len(self._tracks)

    @property
    def tentative(self) -> int:
        """Tracks held that are not confirmed yet (fewer than `min_hits` detections)."""
        return sum(1 for t in self._tracks if t.hits < self._min_hits)

    def forget_appearance(self) -> None:
        """Nothing to forget: this tracker matches by distance alone."""

    def update(self, points: FloorPoints, *, detected: bool = True) -> Tracks:
        """Match `points` to the tracks; return confirmed tracks and those that just ended.

        With `detected=False` (detection skipped) nothing is matched and nothing ages:
        tracks stay where they were last seen.
        """
        t_s = points.t_s
        if not detected:
            for track in self._tracks:
                track.last_seen_s = t_s  # skipped time does not count as unseen
            confirmed = [t for t in self._tracks if t.hits >= self._min_hits]
            return Tracks(
                t_s,
                np.array([t.id for t in confirmed], dtype=np.int64),
                np.array([t.position_m for t in confirmed]).reshape(-1, 2),
            )
        unmatched = self._match(points.points_m, t_s)
        for index in unmatched:
            self._tracks.append(
                _Track(self._next_id, points.points_m[index].copy(), np.zeros(2), t_s, hits=1)
            )
            self._next_id += 1
        ended = [t for t in self._tracks if t_s - t.last_seen_s > self._max_age_s]
        self._tracks = [t for t in self._tracks if t_s - t.last_seen_s <= self._max_age_s]
        confirmed = [t for t in self._tracks if t.hits >= self._min_hits]
        return Tracks(
            t_s,
            np.array([t.id for t in confirmed], dtype=np.int64),
            np.array([t.position_m for t in confirmed]).reshape(-1, 2),
            ended_ids=tuple(t.id for t in ended if t.hits >= self._min_hits),
        )

    def end_all(self, t_s: float) -> Tracks:
        """End every track (the source stopped): none left, the confirmed ones in `ended_ids`."""
        ended_ids = tuple(t.id for t in self._tracks if t.hits >= self._min_hits)
        self._tracks = []
        return Tracks(t_s, np.zeros(0, np.int64), np.zeros((0, 2)), ended_ids=ended_ids)

    def _match(self, points_m: np.ndarray, t_s: float) -> list[int]:
        """Greedy assignment; updates matched tracks and returns indices of unmatched points."""
        if not self._tracks or not len(points_m):
            return list(range(len(points_m)))
        predicted = np.array([t.position_m + t.velocity_m_s * (t_s - t.last_seen_s) for t in self._tracks])
        distances = np.linalg.norm(predicted[:, None, :] - points_m[None, :, :], axis=2)
        free_points = set(range(len(points_m)))
        free_tracks = set(range(len(self._tracks)))
        for flat in np.argsort(distances, axis=None):
            ti, pi = np.unravel_index(flat, distances.shape)
            if distances[ti, pi] > self._max_distance_m:
                break
            if ti not in free_tracks or pi not in free_points:
                continue
            free_tracks.discard(ti)
            free_points.discard(pi)
            self._update_track(self._tracks[ti], points_m[pi], t_s)
        return sorted(free_points)

    @staticmethod
    def _update_track(track: _Track, position_m: np.ndarray, t_s: float) -> None:
        dt_s = t_s - track.last_seen_s
        if dt_s > 0:
            measured = (position_m - track.position_m) / dt_s
            track.velocity_m_s = (1 - _VELOCITY_GAIN) * track.velocity_m_s + _VELOCITY_GAIN * measured
        track.position_m = position_m.copy()
        track.last_seen_s = t_s
        track.hits += 1
