"""Heatmap grid cell index."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agent.geometry.grid import OUTSIDE, FloorGrid, grid_cell_index

GRID = FloorGrid(origin_m=(-1.0, 2.0), cell_m=0.5, n_cols=4, n_rows=3)


@pytest.mark.parametrize(
    ("point", "index"),
    [
        ((-1.0, 2.0), 0),  # the origin is in the first cell
        ((-0.51, 2.1), 0),
        ((-0.5, 2.1), 1),  # cells are half-open: the boundary belongs to the next cell
        ((0.99, 2.1), 3),
        ((-1.0, 2.5), 4),  # second row
        ((0.9, 3.4), 11),  # last cell
        ((1.0, 3.0), OUTSIDE),  # right edge
        ((0.0, 3.5), OUTSIDE),  # top edge
        ((-1.01, 2.0), OUTSIDE),
        ((math.nan, 2.0), OUTSIDE),
    ],
)
def test_cell_index(point, index):
    assert GRID.cell_index(np.array([point])).tolist() == [index]


def test_cell_centres_index_to_themselves():
    centres = GRID.cell_centres_m()
    assert GRID.cell_index(centres).tolist() == list(range(GRID.n_cells))


def test_function_and_class_agree():
    points = np.random.default_rng(1).uniform(-2, 4, size=(1000, 2))
    np.testing.assert_array_equal(grid_cell_index(points, (-1.0, 2.0), 0.5, (3, 4)), GRID.cell_index(points))


def test_covering_grid():
    grid = FloorGrid.covering((0.0, 0.0), (10.1, 4.0), 0.5)
    assert (grid.n_cols, grid.n_rows) == (21, 8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cell_m": 0.0}, "grid cell_m is 0.0, should be a finite length > 0 metres"),
        ({"n_cols": 0}, "grid n_cols is 0, should be an integer >= 1"),
        ({"n_rows": 2.5}, "grid n_rows is 2.5"),
        ({"origin_m": (0.0, math.inf)}, "grid origin_m is (0.0, inf)"),
    ],
)
def test_bad_grid_is_refused_by_name(kwargs, message):
    fields = {"origin_m": (0.0, 0.0), "cell_m": 0.5, "n_cols": 2, "n_rows": 2} | kwargs
    with pytest.raises(ValueError) as raised:
        FloorGrid(**fields)
    assert message in str(raised.value)
