"""Counting lines on the floor: finite segments with an "in" side.

All coordinates are floor metres. A `FloorLine` is a *segment*, not an
infinite line: a path that passes beyond either end point does not cross it
(supervision #518 counts crossings of the infinite extension; we do not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Cross products smaller than this (m^2) are treated as "on the line", so a
# point sitting exactly on the segment is on neither side.
_ON_LINE_EPS_M2 = 1e-12


@dataclass(frozen=True)
class FloorLine:
    """A counting line from `start_m` to `end_m` (floor metres).

    The "in" side is the left of the direction start -> end when `in_side` is
    "left" (looking from start to end), else the right.

    Raises:
        ValueError: if the end points coincide or are not finite.
    """

    name: str
    start_m: tuple[float, float]
    end_m: tuple[float, float]
    in_side: str = "left"

    def __post_init__(self) -> None:
        pts = np.array([self.start_m, self.end_m], dtype=float)
        if pts.shape != (2, 2) or not np.all(np.isfinite(pts)):
            raise ValueError(
                f"line {self.name!r}: end points must be two finite (x, y) pairs in metres, "
                f"got start={self.start_m!r} end={self.end_m!r}"
            )
        if float(np.hypot(*(pts[1] - pts[0]))) < 1e-6:
            raise ValueError(
                f"line {self.name!r}: start and end are the same point {self.start_m!r}; "
                "a counting line needs a length > 0 m"
            )
        if self.in_side not in ("left", "right"):
            raise ValueError(f"line {self.name!r}: in_side is {self.in_side!r}, expected 'left' or 'right'")

    @property
    def length_m(self) -> float:
        """Length of the segment in metres."""
        return float(np.hypot(self.end_m[0] - self.start_m[0], self.end_m[1] - self.start_m[1]))

    def signed_distance_m(self, points_m: np.ndarray) -> np.ndarray:
        """Signed perpendicular distance (metres) of points to the line's infinite extension.

        Positive on the "in" side, negative on the "out" side. `points_m` is (N, 2).
        """
        pts = np.asarray(points_m, dtype=float).reshape(-1, 2)
        sx, sy = self.start_m
        dx, dy = self.end_m[0] - sx, self.end_m[1] - sy
        cross = dx * (pts[:, 1] - sy) - dy * (pts[:, 0] - sx)
        distance = cross / self.length_m
        return distance if self.in_side == "left" else -distance

    def side(self, points_m: np.ndarray) -> np.ndarray:
        """Side of each point: +1 "in", -1 "out", 0 on the line. `points_m` is (N, 2) metres."""
        d = self.signed_distance_m(points_m)
        return np.where(np.abs(d) * self.length_m <= _ON_LINE_EPS_M2, 0, np.sign(d)).astype(int)

    def along_fraction(self, points_m: np.ndarray) -> np.ndarray:
        """Position of each point's projection along the segment: 0 at start, 1 at end."""
        pts = np.asarray(points_m, dtype=float).reshape(-1, 2)
        start = np.asarray(self.start_m, dtype=float)
        direction = np.asarray(self.end_m, dtype=float) - start
        return np.asarray(((pts - start) @ direction) / float(direction @ direction))

    def distance_m(self, points_m: np.ndarray) -> np.ndarray:
        """Distance (metres) of each point (N, 2) to the segment: to its nearest end beyond either end."""
        pts = np.asarray(points_m, dtype=float).reshape(-1, 2)
        start = np.asarray(self.start_m, dtype=float)
        direction = np.asarray(self.end_m, dtype=float) - start
        nearest = start + np.clip(self.along_fraction(pts), 0.0, 1.0)[:, None] * direction
        return np.asarray(np.hypot(*(pts - nearest).T))


def segments_cross(a0: np.ndarray, a1: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> np.ndarray:
    """Whether segment a0->a1 properly intersects segment b0->b1, vectorised.

    Arrays are (N, 2) floor metres (or broadcastable (2,)). Touching at an end
    point counts as crossing; collinear overlap does not (a path that runs
    along a line never crosses it).
    """
    a0, a1, b0, b1 = (np.asarray(v, dtype=float) for v in (a0, a1, b0, b1))

    def orient(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
        cross = (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1]) - (q[..., 1] - p[..., 1]) * (
            r[..., 0] - p[..., 0]
        )
        return np.asarray(cross)

    o1, o2 = orient(a0, a1, b0), orient(a0, a1, b1)
    o3, o4 = orient(b0, b1, a0), orient(b0, b1, a1)
    straddle_a = (o1 * o2) <= 0
    straddle_b = (o3 * o4) <= 0
    collinear = (np.abs(o1) <= _ON_LINE_EPS_M2) & (np.abs(o2) <= _ON_LINE_EPS_M2)
    return np.asarray(straddle_a & straddle_b & ~collinear)
