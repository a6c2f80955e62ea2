"""Trackers in floor coordinates, chosen by the config's `tracker.type`."""

from __future__ import annotations

from agent.track.config import TrackerConfig
from agent.track.nearest import NearestTracker


def build_tracker(config: TrackerConfig) -> NearestTracker:
    """The tracker the config names."""
    return NearestTracker(config.max_distance_m, config.min_hits, config.max_age_s)


__all__ = ["NearestTracker", "build_tracker"]
