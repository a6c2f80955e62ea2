"""Exact line crossings of simulated paths: which line, which way, when.

A crossing is where a segment of a person's piecewise-linear path passes
from one side of a counting line to the other *within* the line's segment
(the geometry's `FloorLine` semantics). Its time is interpolated exactly on
the path segment, so it does not depend on any frame rate.

With a passage distance (`pass_m`, the scenarios' truth uses
`PASSAGE_M`), a crossing is a *passage*: it counts only once the person is
that far past the line, having been that far on the other side before, as a
counter's hysteresis does; a half step over the line and back is not a
passage through it, and a person standing on the line is not counted again
and again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from agent.geometry.shapes import FloorLine
from agent.sim.people import Person
from agent.types import Direction

PASSAGE_M = 0.2  # a passage ends this far past the line (the installer configs' hysteresis_m)


@dataclass(frozen=True)
class TruthCrossing:
    """Person `pid` crossed `line` towards its `direction` side at `t_s`, at floor point `point_m`."""

    line: str
    direction: Direction
    t_s: float
    pid: int
    point_m: tuple[float, float]


def path_crossings(person: Person, line: FloorLine) -> list[TruthCrossing]:
    """Every crossing of `line` by `person`'s path, in time order.

    A keyframe lying exactly on the line counts once, when the path has
    reached the other side (points on the line belong to neither side).
    """
    sides = line.side(person.path_m)
    crossings: list[TruthCrossing] = []
    last_side, last_index = 0, -1
    for i, side in enumerate(sides):
        if side == 0:
            continue
        if last_side != 0 and side != last_side:
            crossing = _crossing_between(person, line, last_index, i, int(side))
            if crossing is not None:
                crossings.append(crossing)
        last_side, last_index = int(side), i
    return crossings


def _crossing_between(person: Person, line: FloorLine, i: int, j: int, side: int) -> TruthCrossing | None:
    """The crossing on the path from keyframe i to j (strictly on opposite sides), or None off the segment."""
    # Keyframes between i and j lie on the line; the crossing is the last segment that leaves it.
    a, b = person.path_m[j - 1], person.path_m[j]
    ta, tb = float(person.times_s[j - 1]), float(person.times_s[j])
    if j - 1 == i:
        da, db = line.signed_distance_m(np.array([a, b]))
        f = float(da / (da - db))
    else:
        f = 0.0  # keyframe j - 1 is on the line: that is the crossing point
    point = a + f * (b - a)
    along = float(line.along_fraction(point[None, :])[0])
    if not 0.0 <= along <= 1.0:
        return None
    return TruthCrossing(
        line=line.name,
        direction="in" if side > 0 else "out",
        t_s=ta + f * (tb - ta),
        pid=person.pid,
        point_m=(float(point[0]), float(point[1])),
    )


def path_passages(person: Person, line: FloorLine, pass_m: float) -> list[TruthCrossing]:
    """The crossings of `line` by `person` that are passages: from `pass_m` before it to `pass_m` past it.

    The person's side is known once they are `pass_m` from the line; when it
    flips, the passage is the last crossing of the segment in between, in the
    new direction (none when they went round the segment's end).
    """
    crossings = path_crossings(person, line)
    distances = line.signed_distance_m(person.path_m)
    passages: list[TruthCrossing] = []
    side, since_s = 0, float(person.times_s[0])
    for t_s, d in zip(person.times_s, distances, strict=True):
        if abs(d) < pass_m:
            continue
        new_side = 1 if d > 0 else -1
        if side != 0 and new_side != side:
            direction = "in" if new_side > 0 else "out"
            between = [c for c in crossings if since_s < c.t_s <= t_s and c.direction == direction]
            if between:
                passages.append(between[-1])
        side, since_s = new_side, float(t_s)
    return passages


def all_crossings(
    people: Iterable[Person], lines: Sequence[FloorLine], pass_m: float = 0.0
) -> list[TruthCrossing]:
    """Every crossing (with `pass_m` > 0: every passage) of every line by every person, by time, line, id."""
    found = [
        c
        for person in people
        for line in lines
        for c in (path_passages(person, line, pass_m) if pass_m > 0 else path_crossings(person, line))
    ]
    return sorted(found, key=lambda c: (c.t_s, c.line, c.pid))
