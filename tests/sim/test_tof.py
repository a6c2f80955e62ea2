"""ToF frames over a doorway: shapes, units, noise, dropouts, determinism and the crossings' truth."""

from __future__ import annotations

import numpy as np
import pytest

from agent.sim.people import Appearance, Person
from agent.sim.tof import ToFScene, ToFSensor, tof_doorway_scene, tof_frames


def _walker(pid: int, x: float, y0: float, y1: float, t0: float = 0.0, height: float = 1.75) -> Person:
    return Person(
        pid,
        "shopper",
        Appearance(height),
        np.array([t0, t0 + abs(y1 - y0) / 1.25]),
        np.array([(x, y0), (x, y1)]),
    )


@pytest.mark.parametrize("rows", [8, 4])
def test_frames_have_the_documented_shapes_and_units(rows: int) -> None:
    scene = tof_doorway_scene(seed=3, duration_s=20.0)
    frames = list(tof_frames(scene, ToFSensor(rows=rows, cols=rows), fps=10.0, seed=3))
    assert len(frames) == 201
    frame = frames[0]
    assert frame.distances_mm.shape == (rows, rows) and frame.distances_mm.dtype == np.uint16
    assert frame.valid.shape == (rows, rows) and frame.valid.dtype == np.bool_
    assert [f.t_s for f in frames[:3]] == [0.0, 0.1, 0.2]
    for f in frames:
        assert np.all(f.distances_mm[~f.valid] == 0)
        assert np.all(f.distances_mm[f.valid] > 0)


def test_floor_reads_the_mounting_height_with_a_few_percent_noise() -> None:
    sensor = ToFSensor(mounting_height_m=2.8, dropout_rate=0.0, dark_dropout_rate=0.0, frame_dropout_rate=0.0)
    frames = list(tof_frames([], sensor, fps=10.0, seed=1, duration_s=30.0))
    clean = frames[0].clean_mm
    assert clean.min() >= 2800 and clean.max() < 2800 / np.cos(np.radians(32))  # corner zones slant
    errors = np.array([(f.distances_mm.astype(float) - clean) / clean for f in frames])
    assert 0.01 < errors.std() < 0.04
    assert all(f.valid.all() for f in frames)


def test_a_person_underneath_reads_near_their_head() -> None:
    sensor = ToFSensor(
        noise_fraction=0.0, noise_floor_mm=0.0, zone_offset_mm=0.0, dropout_rate=0.0, frame_dropout_rate=0.0
    )
    person = _walker(0, 0.0, -0.01, 0.01, height=1.8)
    frame = next(tof_frames([person], sensor, seed=1, duration_s=0.0))
    # A zone mixes head and shoulders, so it reads between the head top and shoulder height.
    nearest = float(frame.clean_mm.min())
    assert 2800 - 1800 <= nearest <= 2800 - 0.82 * 1800
    assert frame.clean_mm[3:5, 3:5].max() < 1500
    assert frame.clean_mm[0, 0] > 2800


@pytest.mark.parametrize(
    ("people", "expected"),
    [
        pytest.param([_walker(0, 0.0, -2.5, 2.5)], [("in", 0)], id="single file in"),
        pytest.param([_walker(0, 0.3, 2.5, -2.5)], [("out", 0)], id="single out"),
        pytest.param(
            [_walker(0, -0.3, -2.5, 2.5), _walker(1, 0.3, -2.5, 2.5)],
            [("in", 0), ("in", 1)],
            id="pair abreast",
        ),
        pytest.param([_walker(0, 2.0, -2.5, 2.5)], [], id="beside the door"),
    ],
)
def test_crossings_follow_the_paths(people: list[Person], expected: list[tuple[str, int]]) -> None:
    from agent.geometry.shapes import FloorLine
    from agent.sim.crossings import all_crossings

    line = FloorLine("door", (-0.9, 0.0), (0.9, 0.0), "left")
    crossings = all_crossings(people, [line])
    assert sorted((c.direction, c.pid) for c in crossings) == sorted(expected)
    for c in crossings:
        assert c.t_s == pytest.approx(2.5 / 1.25)


def test_doorway_scene_covers_groups_and_turn_backs_and_is_deterministic() -> None:
    scene = tof_doorway_scene(seed=5, duration_s=600.0, people_per_minute=12.0)
    again = tof_doorway_scene(seed=5, duration_s=600.0, people_per_minute=12.0)
    assert [(c.direction, c.t_s) for c in scene.crossings] == [(c.direction, c.t_s) for c in again.crossings]
    groups = {p.group for p in scene.people if p.group >= 0}
    assert groups, "no group walking abreast"
    turned_back = [p for p in scene.people if (p.path_m[0, 1] > 0) == (p.path_m[-1, 1] > 0)]
    assert turned_back, "nobody turned back"
    crossed_twice = [p for p in turned_back if sum(c.pid == p.pid for c in scene.crossings) == 2]
    assert crossed_twice, "no turn-back past the line (in then out)"
    assert isinstance(scene, ToFScene) and scene.line.name == "door"


def test_same_seed_same_frames_and_dropouts_happen() -> None:
    scene = tof_doorway_scene(seed=2, duration_s=60.0)
    sensor = ToFSensor(dropout_rate=0.02)
    a = [f.distances_mm for f in tof_frames(scene, sensor, seed=9)]
    b = [f.distances_mm for f in tof_frames(scene, sensor, seed=9)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    invalid = sum(int((x == 0).sum()) for x in a)
    assert 0.005 < invalid / (len(a) * 64) < 0.05


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rows": 6}, "rows is 6"),
        ({"mounting_height_m": 5.0}, "mounting_height_m"),
        ({"dropout_rate": 1.5}, "dropout_rate"),
    ],
)
def test_sensor_rejects_bad_settings(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ToFSensor(**kwargs)  # type: ignore[arg-type]
