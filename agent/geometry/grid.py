"""A regular grid of square cells on the floor, for heatmaps.

Cells are indexed row-major: ``index = row * n_cols + col``, with column 0
at ``origin_m[0]`` (x grows with the column) and row 0 at ``origin_m[1]``
(y grows with the row). Each cell is half-open: [x0, x0 + cell) x [y0, y0 + cell).
Because every device uses floor metres, grids with the same origin and cell
size line up across cameras and can be summed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agent.geometry.arrays import as_points

IntArray = npt.NDArray[np.int64]

#: Index returned for points outside the grid or non-finite.
OUTSIDE = -1


@dataclass(frozen=True)
class FloorGrid:
    """A grid of ``n_cols`` x ``n_rows`` square cells of side ``cell_m`` from ``origin_m`` (metres).

    Raises:
        ValueError: if ``cell_m`` is not > 0, a count is not >= 1, or the origin is not finite.
    """

    origin_m: tuple[float, float]
    cell_m: float
    n_cols: int
    n_rows: int

    def __post_init__(self) -> None:
        if not (math.isfinite(self.cell_m) and self.cell_m > 0):
            raise ValueError(f"grid cell_m is {self.cell_m!r}, should be a finite length > 0 metres")
        for name in ("n_cols", "n_rows"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"grid {name} is {value!r}, should be an integer >= 1")
        if len(self.origin_m) != 2 or not all(math.isfinite(v) for v in self.origin_m):
            raise ValueError(
                f"grid origin_m is {self.origin_m!r}, should be two finite numbers (x, y) in metres"
            )

    @classmethod
    def covering(
        cls, min_xy_m: tuple[float, float], max_xy_m: tuple[float, float], cell_m: float
    ) -> FloorGrid:
        """The smallest grid with origin ``min_xy_m`` whose cells cover up to ``max_xy_m``.

        Raises:
            ValueError: if ``max_xy_m`` is not greater than ``min_xy_m`` on both axes, or as the constructor.
        """
        width, depth = max_xy_m[0] - min_xy_m[0], max_xy_m[1] - min_xy_m[1]
        if not (width > 0 and depth > 0):
            raise ValueError(f"grid corners {min_xy_m!r} .. {max_xy_m!r} should span a positive area")
        if not cell_m > 0:
            raise ValueError(f"grid cell_m is {cell_m!r}, should be > 0 metres")
        return cls(min_xy_m, cell_m, max(1, math.ceil(width / cell_m)), max(1, math.ceil(depth / cell_m)))

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return self.n_cols * self.n_rows

    def cell_index(self, points_m: npt.ArrayLike) -> IntArray:
        """Flat cell index (N,) of each floor point (N, 2) in metres; ``OUTSIDE`` (-1) if off the grid.

        Raises:
            ValueError: if ``points_m`` is not (N, 2).
        """
        return grid_cell_index(points_m, self.origin_m, self.cell_m, (self.n_rows, self.n_cols))

    def cell_centres_m(self) -> npt.NDArray[np.float64]:
        """Centres of all cells in index order, shape (n_cells, 2), metres."""
        rows, cols = np.divmod(np.arange(self.n_cells), self.n_cols)
        x = self.origin_m[0] + (cols + 0.5) * self.cell_m
        y = self.origin_m[1] + (rows + 0.5) * self.cell_m
        return np.column_stack([x, y])


def grid_cell_index(
    points_m: npt.ArrayLike,
    origin_m: tuple[float, float],
    cell_m: float,
    shape: tuple[int, int],
) -> IntArray:
    """Row-major cell index (N,) of floor points (N, 2) on a grid of ``shape`` = (rows, cols).

    Points outside the grid or non-finite get ``OUTSIDE`` (-1).

    Raises:
        ValueError: if ``points_m`` is not (N, 2).
    """
    points = as_points(points_m, 2, "points_m")
    n_rows, n_cols = shape
    with np.errstate(invalid="ignore"):
        col_f = np.floor((points[:, 0] - origin_m[0]) / cell_m)
        row_f = np.floor((points[:, 1] - origin_m[1]) / cell_m)
        inside = (col_f >= 0) & (col_f < n_cols) & (row_f >= 0) & (row_f < n_rows)
    index = np.full(len(points), OUTSIDE, dtype=np.int64)
    index[inside] = row_f[inside].astype(np.int64) * n_cols + col_f[inside].astype(np.int64)
    return index
