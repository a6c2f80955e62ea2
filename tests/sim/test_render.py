"""The renderer: deterministic, draws people where the camera model puts them, lean outwards."""

from __future__ import annotations

import numpy as np
import pytest

from agent.sim.figures import CORE_SHARE, RIM_SHADE, body_parts, draw_people
from agent.sim.people import Appearance, Person
from agent.sim.render import ScenarioRenderer
from agent.sim.scenarios import get_scenario


def _standing(x: float, y: float) -> Person:
    return Person(
        0, "shopper", Appearance(1.8, top_bgr=(0, 0, 255)), np.array([0.0, 10.0]), np.array([(x, y), (x, y)])
    )


@pytest.mark.parametrize("name", ["entrance", "busy"])
def test_same_seed_same_pixels(name: str) -> None:
    scenario = get_scenario(name)
    people = scenario.people(2)
    a = ScenarioRenderer(scenario, people, 160, 120, seed=2)
    b = ScenarioRenderer(scenario, people, 160, 120, seed=2)
    for t in (0.0, 0.5, 1.0):
        assert np.array_equal(a.frame(t), b.frame(t))


@pytest.mark.parametrize("name", ["aisle", "busy"])
def test_people_lean_outwards_away_from_the_image_centre(name: str) -> None:
    scenario = get_scenario(name)
    camera = scenario.camera.model(640, 480)
    person = _standing(2.5, 0.2)
    parts = body_parts(person, 1.0)
    head = max(parts, key=lambda c: c.p1[2] if c.radius_m > 0.05 else 0).p1
    centre = np.array([camera.cx, camera.cy])
    head_px = camera.floor_to_pixels([head[:2]], head[2])[0]
    foot_px = camera.floor_to_pixels([(2.5, 0.2)], 0.0)[0]
    assert np.hypot(*(head_px - centre)) > np.hypot(*(foot_px - centre)) + 10


def test_a_person_changes_the_pixels_around_their_head() -> None:
    scenario = get_scenario("aisle")
    person = _standing(0.5, 0.0)
    empty = ScenarioRenderer(scenario, [], 320, 240, seed=1, jpeg_quality=None, noise_sigma=0.0).frame(1.0)
    renderer = ScenarioRenderer(scenario, [person], 320, 240, seed=1, jpeg_quality=None, noise_sigma=0.0)
    full = renderer.frame(1.0)
    u, v = renderer.camera.floor_to_pixels([(0.5, 0.0)], 1.7)[0]
    changed = np.abs(full.astype(int) - empty.astype(int)).sum(axis=2) > 30
    assert changed[int(v) - 3 : int(v) + 4, int(u) - 3 : int(u) + 4].any()
    assert not changed[:20, :20].any()


def test_a_pale_hat_over_a_white_top_has_a_dark_rim_on_a_white_floor() -> None:
    """Lit from above, a rounded part darkens toward its silhouette: the hat's outer ring is RIM_SHADE of
    its centre, so a pale head keeps an edge against white shoulders (flat paint left none). The person
    stands straight below the camera, where a part once had no sideways direction and was not drawn."""
    camera = get_scenario("aisle").camera.model(320, 240)
    look = Appearance(1.8, top_bgr=(230, 230, 230), hat=True)
    person = Person(0, "shopper", look, np.array([0.0, 10.0]), np.array([(0.0, 0.0), (0.0, 0.0)]))
    image = np.full((240, 320, 3), 255, dtype=np.uint8)
    draw_people(image, camera, [person], 1.0)
    hat = max(body_parts(person, 1.0), key=lambda c: c.order)
    u, v = camera.floor_to_pixels([hat.p1[:2]], hat.p1[2])[0]
    row = image[round(v), :, 1].astype(float)
    centre = row[round(u)]
    assert centre == pytest.approx(hat.colour[1], abs=2)
    inside = np.flatnonzero(row < 250)  # the hat and what shows of the head around it
    ring = row[inside[0] : inside[0] + 4]
    assert ring.min() == pytest.approx(centre * RIM_SHADE, abs=3)
    # The core keeps the part's own colour over CORE_SHARE of the width.
    core = np.flatnonzero(np.abs(row - centre) <= 2)
    assert len(core) >= 0.6 * CORE_SHARE * len(inside)


def test_renderer_rejects_a_tiny_image() -> None:
    with pytest.raises(ValueError, match="too small"):
        ScenarioRenderer(get_scenario("aisle"), [], 32, 24)
