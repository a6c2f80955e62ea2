"""Heatmap accumulation: person-seconds and distinct people per floor grid cell.

Each update adds, for every track, the time since the previous update to the
cell it stands in (capped, so a stalled source does not paint one cell for
minutes). Distinct people per cell are counted with the process-local track
ids, which are dropped when the bucket closes: only the per-cell totals leave.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from agent.analytics.update_step import UpdateStep
from agent.geometry.grid import OUTSIDE, FloorGrid
from agent.types import Tracks


@dataclass(frozen=True)
class CellTotal:
    """One cell's totals over a bucket: flat index, column, row, distinct people, person-seconds."""

    index: int
    ix: int
    iy: int
    people: int
    person_s: float


class HeatmapAccumulator:
    """Accumulates one bucket of heatmap totals on `grid`."""

    def __init__(self, grid: FloorGrid) -> None:
        self.grid = grid
        self._person_s: dict[int, float] = defaultdict(float)
        self._people: dict[int, set[int]] = defaultdict(set)
        self._step = UpdateStep()

    def update(self, tracks: Tracks) -> None:
        """Credit each track's cell with the time since the previous update."""
        step_s = self._step.advance(tracks.t_s)
        if not len(tracks):
            return
        for track_id, cell in zip(
            tracks.ids.tolist(), self.grid.cell_index(tracks.positions_m).tolist(), strict=True
        ):
            if cell == OUTSIDE:
                continue
            self._person_s[cell] += step_s
            self._people[cell].add(track_id)

    def close(self) -> list[CellTotal]:
        """The bucket's totals per visited cell, in index order; starts a new bucket."""
        totals = []
        for cell in sorted(self._people):
            iy, ix = divmod(cell, self.grid.n_cols)
            totals.append(CellTotal(cell, ix, iy, len(self._people[cell]), round(self._person_s[cell], 3)))
        self._person_s.clear()
        self._people.clear()
        return totals
