"""Heatmap totals and small-count suppression."""

from __future__ import annotations

import numpy as np
import pytest

from agent.analytics.heatmap import HeatmapAccumulator
from agent.analytics.privacy import suppress_small
from agent.geometry.grid import FloorGrid
from agent.types import Tracks


def test_person_seconds_and_distinct_people_per_cell() -> None:
    heatmap = HeatmapAccumulator(FloorGrid((0.0, 0.0), 0.5, 4, 4))
    for i in range(11):  # 1 s at 10 Hz: two people stand in cell (0, 0), one in cell (3, 1)
        heatmap.update(Tracks(i * 0.1, np.array([1, 2, 3]), np.array([[0.1, 0.1], [0.2, 0.3], [1.7, 0.6]])))
    heatmap.update(Tracks(1.1, np.array([4]), np.array([[9.0, 9.0]])))  # off the grid: ignored
    cells = heatmap.close()
    assert [(c.ix, c.iy, c.people) for c in cells] == [(0, 0, 2), (3, 1, 1)]
    assert cells[0].person_s == pytest.approx(2.0)
    assert cells[1].person_s == pytest.approx(1.0)
    assert heatmap.close() == [], "closing starts a new bucket"


def test_stalled_source_does_not_paint_a_cell_for_minutes() -> None:
    heatmap = HeatmapAccumulator(FloorGrid((0.0, 0.0), 0.5, 2, 2))
    heatmap.update(Tracks(0.0, np.array([1]), np.array([[0.1, 0.1]])))
    heatmap.update(Tracks(300.0, np.array([1]), np.array([[0.1, 0.1]])))
    assert heatmap.close()[0].person_s == pytest.approx(1.0)


@pytest.mark.parametrize("k,kept,withheld", [(1, [1, 2, 3, 5], 0), (3, [3, 5], 2), (6, [], 4)])
def test_suppress_small(k: int, kept: list[int], withheld: int) -> None:
    assert suppress_small([1, 2, 3, 5], lambda people: people, k) == (kept, withheld)


def test_bad_k_is_refused() -> None:
    with pytest.raises(ValueError, match="k is 0, should be >= 1"):
        suppress_small([1], lambda people: people, 0)
