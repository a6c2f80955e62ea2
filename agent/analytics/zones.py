"""Zone visits with inertia: occupancy, dwell times and zone-to-zone transitions.

A visit starts when a track has been inside a zone for `enter_s` and ends
when it has been outside for `exit_s` (or the track ends), so a person who
pauses at the edge, or disappears behind a shelf for a moment, stays one
visit (Frigate #10739, #3738: occupancy flickering off when someone pauses).
Its dwell time runs from the first to the last update inside, plus the
interval the first of them stands for (`UpdateStep`): seen inside in N
frames at 10 fps is N / 10 s, as the heatmap credits it. Occupancy is
the number of visits in progress. A transition A -> B is recorded when a
track's visit to B starts and its previous visit was to A (walking routes, in
aggregate only). Per-track state dies with the track.

Every track is tested against every zone in one array pass per update, and
only a track inside a zone, or one that has just left it, costs Python work
there; occupancy is kept as a running count of visits in progress.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from agent.analytics.config import ZoneConfig
from agent.analytics.update_step import UpdateStep
from agent.geometry.regions import FloorPolygon
from agent.types import Tracks

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


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
    first_step_s: float  # the interval the first update of the run stands for (s)
    visiting: bool = False


@dataclass
class _TrackZones:
    presence: dict[str, _Presence] = field(default_factory=dict)
    last_zone: str | None = None  # the zone whose visit started last, for transitions


class ZoneOutlines:
    """The edges of every zone in one set of arrays: all tracks against all zones in one test.

    The rule is `agent.geometry.regions.points_in_polygon`'s even-odd test,
    with the same arithmetic edge by edge, so each zone gets the same answer;
    one pass over all edges instead of one per zone saves NumPy calls per update.
    """

    def __init__(self, polygons: list[FloorPolygon]) -> None:
        ends = [p.vertices_m for p in polygons]
        starts = [np.roll(p.vertices_m, 1, axis=0) for p in polygons]  # edge i runs from vertex i-1 to i
        start_m = np.concatenate(starts or [np.zeros((0, 2))])
        end_m = np.concatenate(ends or [np.zeros((0, 2))])
        self._x0, self._y0 = start_m[:, :1], start_m[:, 1:]  # (E, 1): broadcast against the points
        self._y1 = end_m[:, 1:]
        self._dx, self._dy = end_m[:, :1] - self._x0, self._y1 - self._y0
        self._first_edge = np.cumsum([0] + [len(v) for v in ends[:-1]])
        self._zones = len(polygons)

    def contains(self, points_m: FloatArray) -> BoolArray:
        """(Z, N): whether each floor point (N, 2), in metres, is inside each zone, in zone order."""
        if not self._zones or not len(points_m):
            return np.zeros((self._zones, len(points_m)), dtype=bool)
        x, y = points_m[:, 0], points_m[:, 1]
        straddles = (self._y0 > y) != (self._y1 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = self._x0 + (y - self._y0) * self._dx / self._dy
        crossings = straddles & (x < x_cross)
        inside: BoolArray = np.logical_xor.reduceat(crossings, self._first_edge, axis=0)
        return inside


class ZoneWatcher:
    """Follows tracks through the configured zones.

    Raises:
        ValueError: a zone polygon is invalid (named) or an inertia is negative.
    """

    def __init__(self, zones: list[ZoneConfig]) -> None:
        polygons = [FloorPolygon(z.name, np.array(z.polygon, dtype=float)) for z in zones]
        self._zones = [(z.name, z.enter_s, z.exit_s) for z in zones]
        self._outlines = ZoneOutlines(polygons)
        self._tracks: dict[int, _TrackZones] = {}
        # Per zone: the tracks with a presence there, and how many of those are visiting (occupancy).
        self._present: dict[str, set[int]] = {z.name: set() for z in zones}
        self._visiting: dict[str, int] = dict.fromkeys(self._present, 0)
        self._step = UpdateStep()

    def update(self, tracks: Tracks) -> ZoneUpdate:
        """Advance with this update of the tracks."""
        t_s = tracks.t_s
        step_s = self._step.advance(t_s)
        visits: list[ZoneVisit] = []
        transitions: list[ZoneTransition] = []
        ids = tracks.ids.tolist()
        for track_id in ids if self._zones else ():
            if track_id not in self._tracks:
                self._tracks[track_id] = _TrackZones()
        inside = self._outlines.contains(tracks.positions_m)
        row_of = {track_id: row for row, track_id in enumerate(ids)}
        for zone_inside, (zone, enter_s, exit_s) in zip(inside.tolist(), self._zones, strict=True):
            # Only tracks inside the zone, or outside with a presence there, have anything to do.
            present = self._present[zone]
            rows = [row for row, is_inside in enumerate(zone_inside) if is_inside]
            rows += [row_of[i] for i in present if i in row_of and not zone_inside[row_of[i]]]
            for row in sorted(rows):
                track_id = ids[row]
                state = self._tracks[track_id]
                presence = state.presence.get(zone)
                if zone_inside[row]:
                    if presence is None:
                        presence = state.presence[zone] = _Presence(t_s, t_s, step_s)
                        present.add(track_id)
                    elif not presence.visiting and t_s - presence.last_inside_s > exit_s:
                        presence.first_inside_s = t_s  # a new run after a real absence
                        presence.first_step_s = step_s
                    presence.last_inside_s = t_s
                    if not presence.visiting and t_s - presence.first_inside_s >= enter_s:
                        presence.visiting = True
                        self._visiting[zone] += 1
                        if state.last_zone is not None and state.last_zone != zone:
                            transitions.append(ZoneTransition(state.last_zone, zone, t_s, track_id))
                        state.last_zone = zone
                elif presence is not None and t_s - presence.last_inside_s >= exit_s:
                    self._forget(zone, track_id, state.presence.pop(zone), visits)
        for track_id in tracks.ended_ids:
            ended = self._tracks.pop(track_id, None)
            if ended is None:
                continue
            for zone, presence in ended.presence.items():
                self._forget(zone, track_id, presence, visits)
        return ZoneUpdate(t_s, dict(self._visiting), tuple(visits), tuple(transitions))

    def _forget(self, zone: str, track_id: int, presence: _Presence, visits: list[ZoneVisit]) -> None:
        """A track's presence in `zone` is over: a visit, if it had started, is finished into `visits`."""
        self._present[zone].discard(track_id)
        if presence.visiting:
            self._visiting[zone] -= 1
            visits.append(_finish(zone, presence, track_id))

    def __len__(self) -> int:
        """Tracks with zone state (bounded by the tracks alive)."""
        return len(self._tracks)


def _finish(zone: str, presence: _Presence, track_id: int) -> ZoneVisit:
    dwell_s = presence.last_inside_s - presence.first_inside_s + presence.first_step_s
    return ZoneVisit(zone, dwell_s, presence.last_inside_s, track_id)
