"""Exact crossings of keyframed paths with counting segments."""

from __future__ import annotations

import numpy as np
import pytest

from agent.geometry.shapes import FloorLine
from agent.sim.crossings import path_crossings, path_passages
from agent.sim.people import Appearance, Person

LINE = FloorLine("door", (0.0, 0.0), (2.0, 0.0), "left")  # "in" is +y


def _person(times: list[float], path: list[tuple[float, float]]) -> Person:
    return Person(7, "shopper", Appearance(1.7), np.array(times), np.array(path))


@pytest.mark.parametrize(
    ("times", "path", "expected"),
    [
        pytest.param([0, 2], [(1, -1), (1, 1)], [("in", 1.0, (1.0, 0.0))], id="straight in"),
        pytest.param([0, 4], [(0.5, 3), (1.5, -1)], [("out", 3.0, (1.25, 0.0))], id="diagonal out"),
        pytest.param(
            [0, 1, 2, 3],
            [(1, -1), (1, 0.5), (1, 0.5), (1, -1)],
            [("in", 2 / 3, (1.0, 0.0)), ("out", 2 + 1 / 3, (1.0, 0.0))],
            id="turn back past the line",
        ),
        pytest.param([0, 1, 2], [(1, -1), (1, -0.1), (1, -1)], [], id="turn back short of the line"),
        pytest.param([0, 2], [(3, -1), (3, 1)], [], id="beyond the segment end"),
        pytest.param(
            [0, 1, 2],
            [(1, -1), (1, 0), (1, 1)],
            [("in", 1.0, (1.0, 0.0))],
            id="keyframe on the line counts once",
        ),
        pytest.param([0, 1, 2], [(1, -1), (1, 0), (1, -1)], [], id="touch the line and go back"),
    ],
)
def test_path_crossings(times, path, expected) -> None:
    found = path_crossings(_person(times, path), LINE)
    assert [(c.direction, c.t_s, c.point_m) for c in found] == [
        (d, pytest.approx(t), pytest.approx(p)) for d, t, p in expected
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param([(1, -1), (1, 1)], ["in"], id="a full passage"),
        pytest.param([(1, -1), (1, 0.1), (1, -1)], [], id="a half step over the line and back"),
        pytest.param(
            [(1, -1), (1, 0.1), (1, -0.1), (1, 0.15), (1, -0.05), (1, 1)],
            ["in"],
            id="dithering on the line, then through: one passage",
        ),
        pytest.param([(1, -1), (1, 1), (1, -1)], ["in", "out"], id="through and back through"),
        pytest.param([(3, -1), (3, 1)], [], id="round the segment's end"),
        pytest.param([(1, 0.05), (1, 1)], [], id="starts on the line: no known side before"),
    ],
)
def test_passages_need_the_passage_distance_on_both_sides(
    path: list[tuple[float, float]], expected: list[str]
) -> None:
    person = _person([float(k) for k in range(len(path))], path)
    assert [c.direction for c in path_passages(person, LINE, 0.2)] == expected
