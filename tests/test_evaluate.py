"""`footfall evaluate` on a committed simulated clip, and its measures on hand-made inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.analytics.heatmap import HeatmapAccumulator
from agent.evaluate import ClipResult, _dwell_errors, _heatmap_correlation, evaluate_clip, format_table
from agent.geometry.grid import FloorGrid
from agent.types import Tracks

ROOT = Path(__file__).resolve().parents[1]


def test_dwell_error_is_relative_error_of_the_median() -> None:
    truth = [
        {"zone": "shelf", "enter_s": 0.0, "exit_s": 10.0},
        {"zone": "shelf", "enter_s": 5.0, "exit_s": 25.0},
        {"zone": "shelf", "enter_s": 1.0, "exit_s": None},
        {"zone": "till", "enter_s": 0.0, "exit_s": 4.0},
    ]
    errors = _dwell_errors(truth, {"shelf": [12.0, 18.0]})
    assert errors == {"shelf": pytest.approx(0.0)}  # median 15 both; "till" has no visit of ours


def test_heatmap_correlation_is_one_for_the_same_shape() -> None:
    grid = FloorGrid((0.0, 0.0), 1.0, 3, 1)
    ours = HeatmapAccumulator(grid)
    for i in range(21):  # 2 s in cell 0, then nothing else
        ours.update(Tracks(i * 0.1, np.array([1]), np.array([[0.5, 0.5]])))
    truth = [{"ix": 0, "iy": 0, "person_s": 4.0}]
    assert _heatmap_correlation(truth, ours, grid) == pytest.approx(1.0)


def test_table_totals() -> None:
    result = ClipResult("c", counts={("door", "in"): (10, 9), ("door", "out"): (5, 5)})
    table = format_table([result])
    assert "total      all lines       in      10     9  10.0%" in table
    assert "n/a" in table


@pytest.mark.slow
def test_entrance_clip_is_evaluated_against_its_truth() -> None:
    result = evaluate_clip(ROOT / "sim_videos" / "entrance.truth.json", ROOT / "config" / "scenarios")
    assert set(result.counts) == {("door", "in"), ("door", "out")}
    assert result.counts[("door", "in")][0] == 6 and result.counts[("door", "out")][0] == 3  # the truth
    assert result.heatmap_r is not None and -1.0 <= result.heatmap_r <= 1.0
