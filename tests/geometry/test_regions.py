"""Zones on the floor: point in polygon, area, validation."""

from __future__ import annotations

import numpy as np
import pytest

from agent.geometry.regions import FloorPolygon, points_in_polygon, polygon_area_m2, validate_polygon

SQUARE = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]
L_SHAPE = [(0.0, 0.0), (3.0, 0.0), (3.0, 1.0), (1.0, 1.0), (1.0, 3.0), (0.0, 3.0)]


@pytest.mark.parametrize(
    ("polygon", "point", "inside"),
    [
        (SQUARE, (1.0, 1.0), True),
        (SQUARE, (2.5, 1.0), False),
        (SQUARE, (-0.01, 1.0), False),
        (SQUARE[::-1], (1.0, 1.0), True),  # winding does not matter
        (L_SHAPE, (0.5, 2.5), True),
        (L_SHAPE, (2.0, 2.0), False),  # in the notch of the L
        (L_SHAPE, (2.5, 0.5), True),
        (SQUARE, (np.nan, 1.0), False),
    ],
)
def test_point_in_polygon(polygon, point, inside):
    assert points_in_polygon(np.array([point]), np.array(polygon)).tolist() == [inside]


def test_point_in_polygon_is_vectorised_and_agrees_with_a_grid_count():
    rng = np.random.default_rng(0)
    points = rng.uniform(-1.0, 4.0, size=(20000, 2))
    inside = points_in_polygon(points, L_SHAPE)
    # the L covers 5 m^2 of the 25 m^2 sampled square
    assert inside.mean() == pytest.approx(5.0 / 25.0, abs=0.01)


@pytest.mark.parametrize(("polygon", "area"), [(SQUARE, 4.0), (SQUARE[::-1], -4.0), (L_SHAPE, 5.0)])
def test_signed_area(polygon, area):
    assert polygon_area_m2(polygon) == pytest.approx(area)


@pytest.mark.parametrize(
    ("polygon", "message"),
    [
        ([(0.0, 0.0), (1.0, 0.0)], "zone 'till' has 2 vertices, should have at least 3"),
        (
            [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)],
            "zone 'till' has area 0 m^2 (vertices on one line or repeated)",
        ),
        ([(0.0, 0.0), (1.0, 0.0), (np.inf, 1.0)], "zone 'till' has a non-finite vertex"),
        ([(0.0, 0.0, 0.0)], "zone 'till' vertices has shape (1, 3), should be (N, 2)"),
    ],
)
def test_bad_polygons_are_refused_by_name(polygon, message):
    with pytest.raises(ValueError) as raised:
        validate_polygon(polygon, "zone 'till'")
    assert message in str(raised.value)


def test_floor_polygon():
    zone = FloorPolygon("entrance", np.array(L_SHAPE))
    assert zone.area_m2 == pytest.approx(5.0)
    assert zone.contains(np.array([[0.5, 0.5], [2.0, 2.0]])).tolist() == [True, False]
    with pytest.raises(ValueError, match="zone 'empty' has 0 vertices"):
        FloorPolygon("empty", np.zeros((0, 2)))
