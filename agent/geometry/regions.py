"""Polygons on the floor (zones): validation, area and point-in-polygon, vectorised.

All coordinates are floor metres, (x, y). A polygon is an (M, 2) array of
vertices in order (either winding), implicitly closed, M >= 3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agent.geometry.arrays import FloatArray, as_points

BoolArray = npt.NDArray[np.bool_]

# Zones smaller than this (a 1 cm x 1 cm square) are a typing error, not a zone.
_MIN_AREA_M2 = 1e-4


def polygon_area_m2(polygon_m: npt.ArrayLike) -> float:
    """Signed area (m^2) by the shoelace formula: positive when counter-clockwise.

    Raises:
        ValueError: if ``polygon_m`` is not (M, 2).
    """
    vertices = as_points(polygon_m, 2, "polygon_m")
    x, y = vertices[:, 0], vertices[:, 1]
    return float(0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def validate_polygon(polygon_m: npt.ArrayLike, name: str = "polygon") -> FloatArray:
    """``polygon_m`` as a read-only float64 (M, 2) array, after checking it is a usable zone.

    Raises:
        ValueError: naming ``name`` when there are fewer than 3 vertices, a
            vertex is not finite, or the area is below 1 cm^2 (collinear or repeated vertices).
    """
    vertices = np.array(as_points(polygon_m, 2, f"{name} vertices"), copy=True)
    if len(vertices) < 3:
        raise ValueError(
            f"{name} has {len(vertices)} vertices, should have at least 3 (x, y) pairs in metres"
        )
    if not np.isfinite(vertices).all():
        raise ValueError(f"{name} has a non-finite vertex in {vertices.tolist()}, should be finite metres")
    area = abs(polygon_area_m2(vertices))
    if area < _MIN_AREA_M2:
        raise ValueError(
            f"{name} has area {area:.2g} m^2 (vertices on one line or repeated), "
            "should enclose at least 1 cm^2"
        )
    vertices.setflags(write=False)
    return vertices


def points_in_polygon(points_m: npt.ArrayLike, polygon_m: npt.ArrayLike) -> BoolArray:
    """Which points (N, 2) lie inside the polygon (M, 2), both in floor metres.

    Uses the even-odd (crossing number) rule, so self-intersecting outlines
    behave like the SVG "evenodd" fill. Points exactly on an edge may fall on
    either side; non-finite points are outside. Cost is O(N x M) memory-light
    numpy, fine for the tens of people and vertices of a shop.

    Raises:
        ValueError: if either array is not (K, 2).
    """
    points = as_points(points_m, 2, "points_m")
    vertices = as_points(polygon_m, 2, "polygon_m")
    inside = np.zeros(len(points), dtype=bool)
    x, y = points[:, 0], points[:, 1]
    previous = vertices[-1]
    for current in vertices:
        (x0, y0), (x1, y1) = previous, current
        straddles = (y0 > y) != (y1 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        inside ^= straddles & (x < x_cross)
        previous = current
    return inside


@dataclass(frozen=True, eq=False)
class FloorPolygon:
    """A named zone on the floor with validated vertices in metres.

    Raises:
        ValueError: as ``validate_polygon``.
    """

    name: str
    vertices_m: FloatArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "vertices_m", validate_polygon(self.vertices_m, f"zone {self.name!r}"))

    @property
    def area_m2(self) -> float:
        """Enclosed area in square metres (always positive)."""
        return abs(polygon_area_m2(self.vertices_m))

    def contains(self, points_m: npt.ArrayLike) -> BoolArray:
        """Which floor points (N, 2) in metres are inside the zone."""
        return points_in_polygon(points_m, self.vertices_m)
