"""Zone visits with inertia: occupancy, dwell times and zone-to-zone transitions.

A visit starts when a track has been inside a zone for `enter_s` and ends
when it has been outside for `exit_s` (or the track ends), so a person who
pauses at the edge, or disappears behind a shelf for a moment, stays one
visit (Frigate #10739, #3738: occupancy flickering off when someone pauses).
Its dwell time runs from the first to the last moment inside. Occupancy is
the number of visits in progress. A transition A -> B is recorded when a
track's visit to B starts and its previous visit was to A (walking routes, in
aggregate only). Per-track state dies with the track.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agent.analytics.config import ZoneConfig
from agent.geometry.regions import FloorPolygon
from agent.types import Tracks


@dataclass(frozen=True)
class ZoneVisit:
    """A finished visit: zone, dwell seconds, when it ended, and the process-local track id.

    The track id lets the aggregator count distinct people; it never leaves the process.
    """

    zone: str
    dwell_s: float
    ended_t_s: float
    track_id: int


@dataclass(frozen=True)
class ZoneTransition:
    """A track went from zone `from_zone` to zone `to_zone` (its id stays in the process)."""

    from_zone: str
    to_zone: str
    t_s: float
    track_id: int


@dataclass(frozen=True)
class ZoneUpdate:
    """What one update produced: people per zone now, visits that ended, transitions."""

    t_s: float
    occupancy: dict[str, int]
    visits: tuple[ZoneVisit, ...]
    transitions: tuple[ZoneTransition, ...]


@dataclass
class _Presence:
    first_inside_s: float  # start of the current run of "inside" (or of the visit once started)
    last_inside_s: float
    visiting: bool = False


@dataclass
class _TrackZones:
    presence: dict[str, _Presence] = field(default_factory=dict)
    last_zone: str | None = None  # the zone whose visit started last, for transitions


class ZoneWatcher:
    """Follows tracks through the configured zones.

    Raises:
        ValueError: a zone polygon is invalid (named) or an inertia is negative.
    """

    def __init__(self, zones: list[ZoneConfig]) -> None:
        self._zones = [
            (FloorPolygon(z.name, np.array(z.polygon, dtype=float)), z.enter_s, z.exit_s) for z in zones
        ]
        self._tracks: dict[int, _TrackZones] = {}

    def update(self, tracks: Tracks) -> ZoneUpdate:
        """Advance with this update of the tracks."""
        t_s = tracks.t_s
        visits: list[ZoneVisit] = []
        transitions: list[ZoneTransition] = []
        for polygon, enter_s, exit_s in self._zones:
            inside = polygon.contains(tracks.positions_m) if len(tracks) else np.zeros(0, bool)
            for track_id, is_inside in zip(tracks.ids.tolist(), inside.tolist(), strict=True):
                state = self._tracks.setdefault(track_id, _TrackZones())
                presence = state.presence.get(polygon.name)
                if is_inside:
                    if presence is None:
                        presence = state.presence[polygon.name] = _Presence(t_s, t_s)
                    elif not presence.visiting and t_s - presence.last_inside_s > exit_s:
                        presence.first_inside_s = t_s  # a new run after a real absence
                    presence.last_inside_s = t_s
                    if not presence.visiting and t_s - presence.first_inside_s >= enter_s:
                        presence.visiting = True
                        if state.last_zone is not None and state.last_zone != polygon.name:
                            transitions.append(ZoneTransition(state.last_zone, polygon.name, t_s, track_id))
                        state.last_zone = polygon.name
                elif presence is not None and t_s - presence.last_inside_s >= exit_s:
                    del state.presence[polygon.name]
                    if presence.visiting:
                        visits.append(_finish(polygon.name, presence, track_id))
        for track_id in tracks.ended_ids:
            ended = self._tracks.pop(track_id, None)
            if ended is None:
                continue
            for zone, presence in ended.presence.items():
                if presence.visiting:
                    visits.append(_finish(zone, presence, track_id))
        occupancy = {
            polygon.name: sum(
                1
                for state in self._tracks.values()
                if (p := state.presence.get(polygon.name)) is not None and p.visiting
            )
            for polygon, _, _ in self._zones
        }
        return ZoneUpdate(t_s, occupancy, tuple(visits), tuple(transitions))

    def __len__(self) -> int:
        """Tracks with zone state (bounded by the tracks alive)."""
        return len(self._tracks)


def _finish(zone: str, presence: _Presence, track_id: int) -> ZoneVisit:
    return ZoneVisit(zone, presence.last_inside_s - presence.first_inside_s, presence.last_inside_s, track_id)
