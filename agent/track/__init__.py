"""Trackers in floor coordinates, chosen by the config's `tracker.type`."""

from __future__ import annotations

from typing import Protocol

from agent.track.body import BodyLines
from agent.track.config import TrackerConfig
from agent.track.kalman import KalmanTracker, ViewTest
from agent.track.nearest import NearestTracker
from agent.types import FloorPoints, Tracks


class Tracker(Protocol):
    """Follows people across updates; ids never leave the process."""

    def update(self, points: FloorPoints, *, detected: bool = True) -> Tracks:
        """Advance to `points.t_s`; `detected=False` means detection was skipped (coast)."""
        ...

    def __len__(self) -> int:
        """Tracks held, tentative ones included."""
        ...

    @property
    def tentative(self) -> int:
        """Tracks held that are not confirmed yet (fewer than `min_hits` matches)."""
        ...

    def end_all(self, t_s: float) -> Tracks:
        """End every track (the source stopped): none left, the confirmed ones in `ended_ids`."""
        ...

    def forget_appearance(self) -> None:
        """Forget what every track looks like (the light changed); nothing to forget without appearance."""
        ...


def build_tracker(
    config: TrackerConfig, in_view: ViewTest | None = None, body_lines: BodyLines | None = None
) -> Tracker:
    """The tracker the config names; `in_view`, the floor the camera sees, and `body_lines`, where
    people's bodies lie as it sees them, for the Kalman tracker.

    The nearest-neighbour tracker (ToF sensors, sparse scenes) ends tracks by age only.
    """
    if config.type == "kalman":
        return KalmanTracker(
            max_distance_m=config.max_distance_m,
            min_hits=config.min_hits,
            max_age_s=config.max_age_s,
            high_score=config.high_score,
            low_score=config.low_score,
            accel_m_s2=config.accel_m_s2,
            measurement_m=config.measurement_m,
            min_separation_m=config.min_separation_m,
            weak_confirm_apart_m=config.weak_confirm_apart_m,
            faint_apart_m=config.faint_apart_m,
            relink_speed_m_s=config.relink_speed_m_s,
            relink_memory_s=config.relink_memory_s,
            hidden_within_m=config.hidden_within_m,
            max_hidden_s=config.max_hidden_s,
            show_missed=config.show_missed,
            min_track_score=config.min_track_score,
            appearance_weight_m=config.appearance_weight_m,
            in_view=in_view,
            body_within_m=config.body_within_m,
            body_lines=body_lines,
            tentative_wait_within_m=config.tentative_wait_within_m,
        )
    return NearestTracker(config.max_distance_m, config.min_hits, config.max_age_s)


__all__ = ["BodyLines", "KalmanTracker", "NearestTracker", "Tracker", "ViewTest", "build_tracker"]
