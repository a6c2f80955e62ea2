"""Line crossings: one count per real passage, none for jitter, two counting modes.

A track is *firmly* on a side of a line when it is at least `hysteresis_m`
from it, both where the tracker places it and where the detection that
renewed it at that update put it (`Tracks.detected_m`, when the tracker gives
it): the filter's momentum carries someone who stops short of a line's
hysteresis a few centimetres on, past it (`entrance` seed 10 at 60.5 s: a
shopper who stopped 0.166 m past the door was tracked 0.21 m past it, and
counted in and out), and a detection jitters about where someone stands. Both
modes only count a change of firm side whose path crossed the
*segment* (not the line's infinite extension, supervision #518). A track
starts where its first detection put it (`Tracks.born_m`, when the tracker
gives it; else where it is first seen), on the side that is on, firmly or not,
and its path goes on from there: someone the detector found only as they
reached the line, or the tracker confirmed only past it (`entrance` seed 14:
a child hidden beside a parent, found 0.02 m inside the door and confirmed
0.15 m outside it), counts when they walk on across it, and not when they
walk back. Where the tracker says the first detection cannot tell which way
the person came (`Tracks.came_into_view` False: they may have stood there
since it started, or walked into the picture there, at its edge), the track starts
there on a side only if firmly on it: someone standing within the
hysteresis as counting starts (`entrance` seed 15: 6.3 cm outside the door),
or walking into the picture there, is counted only once they have been
firmly on one side and then on the other, as the simulator's truth counts:

- `immediate` counts at the moment the track becomes firm on the other side.
  A person who hesitates on the line, or whose position jitters across it,
  is counted once or not at all; one who steps over and comes back is not.
- `late` counts when the track ends, by its net direction: first firm side
  to last firm side, so back-and-forth at a door cancels out (Xovis's "late
  count").

A track the tracker shows at its prediction, no detection having matched it
at that update (`Tracks.missed`), takes a new side only if its last
detection (its `detected_m` then) was already on that side: a false track
whose peaks stopped short of a line is not carried across it by its
prediction alone (`busy` seed 19 at 40.4 s: a peak on a walker's body, last
found 0.15 m before the line), while someone last found faintly just past it
(`checkout` seed 12, 0.10 m) still counts once their prediction is firmly past.

Either way a crossing's `t_s` is when the person crossed, as `LineCrossing`
says: the moment the track's path last crossed the segment before it became
firm on the side it is counted to, interpolated between the two updates on
either side of the line. Someone who stops on the line for a while and then
walks on is counted when they walk on, but timed when they stepped over
(which is what the simulator's truth records too). A track that crossed
between its first detection and its confirmation is timed at the update
that first shows it (a few frames late: `born_m` has no time).

Per-track state dies with the track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agent.analytics.config import LineConfig
from agent.geometry.shapes import FloorLine, segments_cross
from agent.types import Direction, LineCrossing, Tracks


@dataclass
class _TrackOnLine:
    position_m: list[float]  # x, y (m) at the last update
    distance_m: float  # signed distance from the line (m) at the last update
    t_s: float  # time of the last update
    first_side: int  # first firm side (or the side it was first seen on): +1 in, -1 out, 0 none yet
    firm_side: int  # latest firm side (or the side it was first seen on)
    crossed_segment: bool  # crossed the segment since the last firm position
    ever_crossed: bool  # crossed the segment at least once
    crossed_at_s: float = 0.0  # when the path last crossed the segment
    counted_at_s: float | None = None  # when it crossed towards its latest firm side (`late` lines' time)


class LineCounter:
    """Counts tracks crossing one `FloorLine`, in `immediate` (default) or `late` mode.

    Raises:
        ValueError: `hysteresis_m` is negative or `mode` is unknown.
    """

    def __init__(self, line: FloorLine, hysteresis_m: float, mode: str = "immediate") -> None:
        if hysteresis_m < 0:
            raise ValueError(f"hysteresis_m is {hysteresis_m}, should be >= 0")
        if mode not in ("immediate", "late"):
            raise ValueError(f"mode is {mode!r}, should be 'immediate' or 'late'")
        self.line = line
        self._hysteresis_m = hysteresis_m
        self._late = mode == "late"
        self._state: dict[int, _TrackOnLine] = {}
        self._start = np.asarray(line.start_m, dtype=float)
        self._end = np.asarray(line.end_m, dtype=float)

    def update(self, tracks: Tracks) -> list[LineCrossing]:
        """The crossings completed by this update of the tracks."""
        if not len(tracks) and not tracks.ended_ids:  # nobody in view: nothing to count
            return []
        crossings = []
        ids = tracks.ids.tolist()
        positions_m = tracks.positions_m.tolist()  # plain floats: no NumPy row per track in the loop
        distances = self.line.signed_distance_m(tracks.positions_m)
        sides = self._firm_sides(distances, tracks.detected_m, tracks.missed)
        # A track first seen starts where its first detection put it, when the tracker says (`born_m`),
        # on the side that is on, firmly or not (0 exactly on the line), or firmly only when the
        # tracker says that detection cannot tell which way they came (`came_into_view`); then this
        # update moves it.
        new = [i for i, track_id in enumerate(ids) if track_id not in self._state]
        if new:
            born_m = tracks.positions_m[new] if tracks.born_m is None else tracks.born_m[new]
            born_distances_m = self.line.signed_distance_m(born_m)
            born_sides = np.sign(born_distances_m).astype(int)
            if tracks.came_into_view is not None:
                unseen = ~tracks.came_into_view[new]
                born_sides[unseen] = self._firm_sides(born_distances_m[unseen], None)
            for i, at_m, distance_m, on in zip(
                new, born_m.tolist(), born_distances_m.tolist(), born_sides.tolist(), strict=True
            ):
                self._state[ids[i]] = _TrackOnLine(at_m, distance_m, tracks.t_s, on, on, False, False)
        # One vectorised segment test for every track, instead of one per track.
        crossed = np.zeros(len(ids), dtype=bool)
        if ids:
            previous = np.array([self._state[track_id].position_m for track_id in ids])
            crossed = segments_cross(previous, tracks.positions_m, self._start, self._end)
        for track_id, position, distance_m, side, crossed_now in zip(
            ids, positions_m, distances.tolist(), sides.tolist(), crossed.tolist(), strict=True
        ):
            state = self._state[track_id]
            if crossed_now:
                state.crossed_segment = state.ever_crossed = True
                state.crossed_at_s = _crossing_time_s(state.distance_m, distance_m, state.t_s, tracks.t_s)
            state.position_m = position
            state.distance_m = distance_m
            state.t_s = tracks.t_s
            if side == 0:
                continue
            if state.first_side == 0:
                state.first_side = side
            changed = state.firm_side not in (0, side) and state.crossed_segment
            if changed:
                state.counted_at_s = state.crossed_at_s
                if not self._late:
                    crossings.append(LineCrossing(self.line.name, _direction(side), state.crossed_at_s))
            state.firm_side = side
            state.crossed_segment = False
        for track_id in tracks.ended_ids:
            ended = self._state.pop(track_id, None)
            if (
                self._late
                and ended is not None
                and ended.ever_crossed
                and ended.first_side * ended.firm_side < 0
            ):
                crossings.append(
                    LineCrossing(
                        self.line.name,
                        _direction(ended.firm_side),
                        tracks.t_s if ended.counted_at_s is None else ended.counted_at_s,
                    )
                )
        return crossings

    def _firm_sides(
        self, distances_m: np.ndarray, detected_m: np.ndarray | None, missed: np.ndarray | None = None
    ) -> np.ndarray:
        """The side (+1 in, -1 out, 0 neither) each track is firmly on, from its signed distance
        `distances_m` (N,) m from the line and, when given, where its detection put it (N, 2) m;
        for a track no detection matched now (`missed` (N,), when given), where its prediction is,
        but only on the side its last detection was on."""
        hysteresis_m = max(self._hysteresis_m, 1e-12)
        nearer_in_m = farther_in_m = distances_m
        detected_distances_m = None if detected_m is None else self.line.signed_distance_m(detected_m)
        if detected_distances_m is not None:
            nearer_in_m = np.minimum(distances_m, detected_distances_m)
            farther_in_m = np.maximum(distances_m, detected_distances_m)
        sides = _side(nearer_in_m, farther_in_m, hysteresis_m)
        if missed is None or detected_distances_m is None or not missed.any():
            return sides
        predicted = _side(distances_m, distances_m, hysteresis_m)
        last_detected = np.sign(detected_distances_m).astype(int)
        return np.where(missed, np.where(predicted == last_detected, predicted, 0), sides)


def _side(nearer_in_m: np.ndarray, farther_in_m: np.ndarray, hysteresis_m: float) -> np.ndarray:
    """+1 where even the nearer-in of two signed distances (m) is `hysteresis_m` or more in, -1 where
    even the farther-in is that far out, 0 elsewhere."""
    return (nearer_in_m >= hysteresis_m).astype(int) - (farther_in_m <= -hysteresis_m)


def _direction(side: int) -> Direction:
    return "in" if side > 0 else "out"


def _crossing_time_s(before_m: float, now_m: float, before_s: float, now_s: float) -> float:
    """When a step that crossed the segment, from signed distance `before_m` (m, at `before_s`) to
    `now_m` (at `now_s`), reached the line, by linear interpolation. The two distances are never of
    one sign (`segments_cross` said the step met the line); a step along it takes `now_s`."""
    if before_m == now_m:
        return now_s
    return before_s + before_m / (before_m - now_m) * (now_s - before_s)


def build_line_counter(config: LineConfig) -> LineCounter:
    """The counter for one configured line."""
    return LineCounter(
        FloorLine(config.name, config.start, config.end, config.in_side), config.hysteresis_m, config.mode
    )
