"""`SimSource`: a simulated store rendered live, as a `FrameSource` (agent.sources.base).

People are generated in episodes of `EPISODE_S` seconds (each from the seed
and the episode's start), so the source can run for days with bounded
memory: people from one episode who are still walking at its end are kept
until they leave, then dropped.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

from agent.sim.config import SimSourceConfig
from agent.sim.people import Person
from agent.sim.render import ScenarioRenderer
from agent.sim.scenarios import Scenario, get_scenario
from agent.types import Frame, FrameMeta

EPISODE_S = 300.0


class SimSource:
    """Frames of `config.scenario` at `config.fps`; `t_s` is simulated seconds since the start.

    With `realtime` frames come at `fps` on the wall clock (sleeping when
    ahead; when rendering falls behind, frames keep their simulated times and
    come as fast as they can). Ends after `minutes` if set, else on `close`.

    Raises:
        KeyError: unknown scenario (the config model already rejects it).
    """

    def __init__(self, config: SimSourceConfig) -> None:
        self._config = config
        self._scenario = get_scenario(config.scenario)
        self._closed = False
        self._episode = 0
        self._people: list[Person] = self._episode_people(0)
        self._renderer = ScenarioRenderer(
            self._scenario, self._people, config.width_px, config.height_px, seed=config.seed
        )
        self.fps = config.fps
        self.behind_frames = 0  # frames rendered later than their wall-clock time (realtime only)

    def _episode_people(self, episode: int) -> list[Person]:
        return episode_people(self._scenario, self._config.seed, episode)

    def frames(self) -> Iterator[Frame]:
        """Rendered frames in order until `minutes` have passed or `close` is called."""
        started = time.monotonic()
        end_s = None if self._config.minutes is None else self._config.minutes * 60.0
        index = 0
        while not self._closed:
            t_s = index / self.fps
            if end_s is not None and t_s >= end_s:
                return
            if t_s >= (self._episode + 1) * EPISODE_S:
                self._episode += 1
                alive = [p for p in self._people if p.t_end_s >= t_s]
                self._people = alive + self._episode_people(self._episode)
                self._renderer.people = self._people
            image = self._renderer.frame(t_s)
            if self._config.realtime:
                delay_s = started + t_s - time.monotonic()
                if delay_s > 0:
                    time.sleep(delay_s)
                elif delay_s < -1.0 / self.fps:
                    self.behind_frames += 1
            yield Frame(FrameMeta(index, t_s, self._config.width_px, self._config.height_px), image)
            index += 1

    def close(self) -> None:
        """Stop the stream; safe to call twice."""
        self._closed = True


def episode_people(scenario: Scenario, seed: int, episode: int) -> list[Person]:
    """The people a live `sim` source adds for its `episode`-th stretch of `EPISODE_S` seconds."""
    t0 = episode * EPISODE_S
    return scenario.people(seed, t0, t0 + EPISODE_S, first_pid=episode * 100_000)


def live_people(scenario: Scenario, seed: int, duration_s: float) -> list[Person]:
    """Everyone a live `sim` source of `scenario` shows in its first `duration_s` seconds, for its truth.

    Exact within the first episode (`EPISODE_S`); later episodes are drawn
    separately, as the source does, so a clip of the same length made by
    `footfall simulate` (one draw for the whole clip) shows other people.
    """
    episodes = max(1, int(np.ceil(duration_s / EPISODE_S)))
    return [person for episode in range(episodes) for person in episode_people(scenario, seed, episode)]
