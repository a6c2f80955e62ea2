"""Line crossings with hysteresis: one count per real passage, none for jitter.

A track is counted on a line when its path crosses the *segment* (not the
line's infinite extension) and then reaches at least `hysteresis_m` beyond
it on the other side from where it was last firmly seen. A person who
hesitates on the line, or whose position jitters across it, is counted once
or not at all; one who steps over and comes back is not counted.
Per-track state dies with the track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agent.geometry.shapes import FloorLine, segments_cross
from agent.types import LineCrossing, Tracks


@dataclass
class _TrackOnLine:
    position_m: np.ndarray
    firm_side: int  # +1 in, -1 out, 0 not yet firmly on either side
    crossed_segment: bool


class LineCounter:
    """Counts tracks crossing one `FloorLine`.

    Raises:
        ValueError: `hysteresis_m` is negative.
    """

    def __init__(self, line: FloorLine, hysteresis_m: float) -> None:
        if hysteresis_m < 0:
            raise ValueError(f"hysteresis_m is {hysteresis_m}, should be >= 0")
        self.line = line
        self._hysteresis_m = hysteresis_m
        self._state: dict[int, _TrackOnLine] = {}
        self._start = np.asarray(line.start_m, dtype=float)
        self._end = np.asarray(line.end_m, dtype=float)

    def update(self, tracks: Tracks) -> list[LineCrossing]:
        """The crossings completed by this update of the tracks."""
        crossings = []
        distances = self.line.signed_distance_m(tracks.positions_m)
        for track_id, position, distance in zip(
            tracks.ids.tolist(), tracks.positions_m, distances, strict=True
        ):
            side = int(np.sign(distance)) if abs(distance) >= self._hysteresis_m and distance != 0 else 0
            state = self._state.get(track_id)
            if state is None:
                self._state[track_id] = _TrackOnLine(position.copy(), side, crossed_segment=False)
                continue
            if bool(segments_cross(state.position_m, position, self._start, self._end)):
                state.crossed_segment = True
            state.position_m = position.copy()
            if side == 0:
                continue
            if state.firm_side not in (0, side) and state.crossed_segment:
                crossings.append(LineCrossing(self.line.name, "in" if side > 0 else "out", tracks.t_s))
            state.firm_side = side
            state.crossed_segment = False
        for track_id in tracks.ended_ids:
            self._state.pop(track_id, None)
        return crossings
