"""The live `sim` source and its config section."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agent.sim.config import SimSourceConfig
from agent.sim.source import SimSource
from agent.sources import build_source


def _config(**overrides: object) -> SimSourceConfig:
    values: dict[str, object] = {"type": "sim", "scenario": "entrance", "size": "160x120", "realtime": False}
    values.update(overrides)
    return SimSourceConfig.model_validate(values)


def test_frames_carry_simulated_time_and_size_and_stop_after_minutes() -> None:
    source = build_source(_config(fps=10.0, minutes=0.05))
    frames = list(source.frames())
    source.close()
    assert len(frames) == 30
    assert [f.meta.t_s for f in frames[:3]] == [0.0, 0.1, 0.2]
    assert frames[0].image.shape == (120, 160, 3)
    assert isinstance(source, SimSource)


def test_close_ends_an_endless_stream() -> None:
    source = SimSource(_config())
    seen = 0
    for _frame in source.frames():
        seen += 1
        if seen == 5:
            source.close()
    assert seen == 5
    source.close()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scenario": "mall"}, "unknown scenario 'mall'"),
        ({"size": "640*480"}, "WIDTHxHEIGHT"),
        ({"fps": 0}, "greater than 0"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
    ],
)
def test_config_rejects_bad_values(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _config(**overrides)


def test_live_people_are_the_people_the_live_source_shows() -> None:
    """The truth of a live store (the demo's) must be drawn from the source's own people."""
    import numpy as np

    from agent.sim.render import ScenarioRenderer
    from agent.sim.scenarios import get_scenario
    from agent.sim.source import live_people

    config = _config(fps=1.0, minutes=1.0)
    shown = list(SimSource(config).frames())
    scenario = get_scenario("entrance")
    people = live_people(scenario, config.seed, 60.0)
    renderer = ScenarioRenderer(scenario, people, config.width_px, config.height_px, seed=config.seed)
    for frame in shown:  # in order: the renderer's exposure and noise carry over between frames
        assert np.array_equal(renderer.frame(frame.meta.t_s), frame.image), frame.meta.t_s
    one_draw = scenario.people(config.seed, 0.0, 60.0)  # what `footfall simulate --minutes 1` shows
    assert [p.position_m(20.0) for p in one_draw] != [p.position_m(20.0) for p in people]
