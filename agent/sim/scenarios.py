"""The named scenarios: a store layout, a ceiling camera, who comes when, and the lights.

`SCENARIOS[name]` is a `Scenario`; `scenario.people(seed, t0_s, t1_s)` is
deterministic for its arguments. Arrivals follow the hour-of-day shape of
real pedestrian counts (`agent.sim.arrival_profile`, Auckland, CC BY 4.0)
scaled to each scenario's peak rate.

| name     | camera                         | what happens                                              |
|----------|--------------------------------|-----------------------------------------------------------|
| entrance | pinhole 95 deg, 3.2 m          | door line: single file, abreast, turn-backs, trolleys, prams, a child by the hand |
| aisle    | pinhole 100 deg, 3.5 m         | browsing, stops at shelves, passing each other, staff restocking |
| checkout | pinhole 100 deg, 3.5 m         | a queue that grows then shrinks, a cashier who stays      |
| busy     | fisheye 160 deg, 4.5 m         | Saturday peak, 40+ people in view                         |
| night    | pinhole 100 deg, 3.5 m         | empty shop, light banks switching, a cleaner with a cart  |
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from agent.geometry.camera import CameraModel
from agent.geometry.lens import LensKind
from agent.sim import arrival_profile
from agent.sim.behaviour import (
    aisle_shoppers,
    checkout_queue,
    cleaner,
    lingering_staff,
    wandering_shoppers,
)
from agent.sim.doorway import Door, DoorwayMix, doorway_people, poisson_arrivals
from agent.sim.people import Person
from agent.sim.spacing import keep_apart, make_room
from agent.sim.store import (
    StoreLayout,
    aisle_layout,
    busy_layout,
    checkout_layout,
    entrance_layout,
    night_layout,
)

PeopleMaker = Callable[[np.random.Generator, float, float, int, float], list[Person]]
LightingScript = Callable[[float], tuple[float, ...]]


@dataclass(frozen=True)
class CameraSetup:
    """A straight-down ceiling camera: lens kind, horizontal field of view (degrees), height and position (m)."""

    kind: LensKind
    hfov_deg: float
    height_m: float
    position_xy_m: tuple[float, float] = (0.0, 0.0)

    def model(self, width_px: int, height_px: int) -> CameraModel:
        """The camera model at an image size (pixels).

        Raises:
            ValueError: as `CameraModel.straight_down`.
        """
        return CameraModel.straight_down(
            width_px,
            height_px,
            self.height_m,
            hfov_deg=self.hfov_deg,
            kind=self.kind,
            position_xy_m=self.position_xy_m,
        )


@dataclass(frozen=True)
class Scenario:
    """A named simulated store: layout, camera, people, lights, clock hour and defaults for clips."""

    name: str
    description: str
    layout: StoreLayout
    camera: CameraSetup
    make_people: PeopleMaker
    lighting: LightingScript
    hour: float  # clock time of t = 0, hours (e.g. 15.0 = 3 pm)
    saturday: bool = False
    ambient: float = 0.35  # light level with every bank off (0..1)
    clip_s: float = 30.0  # length of the committed clip
    heatmap_cell_m: float = 0.5

    def rate_factor(self, t_s: float) -> float:
        """The hour-of-day profile at sim time `t_s` (0..1, 1 at the busiest hour), interpolated."""
        profile = arrival_profile.SATURDAY if self.saturday else arrival_profile.WEEKDAY
        hour = (self.hour + t_s / 3600.0) % 24.0
        return float(np.interp(hour, np.arange(25), [*profile, profile[0]]))

    def people(
        self, seed: int, t0_s: float = 0.0, t1_s: float | None = None, first_pid: int = 0
    ) -> list[Person]:
        """Everyone who arrives in [t0_s, t1_s) (default: one clip), deterministic for the arguments.

        People step aside for each other: heads stay about 0.3 m apart or more (`make_room`).

        Raises:
            ValueError: if t1_s is not after t0_s.
        """
        t1 = self.clip_s if t1_s is None else t1_s
        if not t1 > t0_s:
            raise ValueError(f"scenario {self.name}: t1_s {t1} should be after t0_s {t0_s}")
        key = zlib.crc32(self.name.encode())
        rng = np.random.default_rng(np.random.SeedSequence([seed, key, round(t0_s * 1000)]))
        return make_room(self.make_people(rng, t0_s, t1, first_pid, self.rate_factor((t0_s + t1) / 2)))


def _steady(_t_s: float) -> tuple[float, ...]:
    return (1.0, 1.0, 1.0)


def _entrance_people(rng: np.random.Generator, t0: float, t1: float, pid: int, factor: float) -> list[Person]:
    rate = 18.0 / 60.0 * factor
    arrivals = poisson_arrivals(rng, t0 - 4.0, t1, lambda _t: rate, rate)  # some already walking at t0
    door = Door(-1.2, 1.2, line_y_m=0.3, y_out_m=-3.0, y_in_m=4.0)
    return doorway_people(rng, door, arrivals, mix=DoorwayMix(), first_pid=pid)


def _entrance_light(t_s: float) -> tuple[float, ...]:
    # Clouds over the street: daylight through the door drifts by +-30 % over ~20 s.
    return (1.0, 1.0 + 0.3 * float(np.sin(2 * np.pi * t_s / 23.0)), 1.0)


def _aisle_people(rng: np.random.Generator, t0: float, t1: float, pid: int, factor: float) -> list[Person]:
    rate = 10.0 / 60.0 * factor
    shoppers = aisle_shoppers(rng, poisson_arrivals(rng, t0 - 8.0, t1, lambda _t: rate, rate), pid + 1)
    staff = lingering_staff(rng, pid, [(-2.5, 0.7), (-1.5, 0.7), (2.0, -0.7)], t0, t1 + 1.0, np.pi / 2)
    return keep_apart([staff, *shoppers])


def _checkout_people(rng: np.random.Generator, t0: float, t1: float, pid: int, factor: float) -> list[Person]:
    busy_until = t0 + 0.35 * (t1 - t0)
    high, low = 12.0 / 60.0 * factor, 1.0 / 60.0 * factor
    arrivals = poisson_arrivals(rng, t0 - 20.0, t1, lambda t: high if t < busy_until else low, high)
    customers = checkout_queue(
        rng, arrivals, service_s=lambda r: float(r.uniform(4.0, 8.0)), first_pid=pid + 1
    )
    cashier = lingering_staff(rng, pid, [(1.75, 0.7), (1.75, 0.9)], t0, t1 + 1.0, np.pi)
    return [cashier, *customers]


_BUSY_AISLES_Y = (-4.3, -2.05, 0.25, 2.55, 4.55)


def _busy_people(rng: np.random.Generator, t0: float, t1: float, pid: int, factor: float) -> list[Person]:
    rate = 40.0 / 60.0 * factor
    inside = 45 if t0 == 0 else 0
    arrivals = [t0] * inside + poisson_arrivals(rng, t0, t1, lambda _t: rate, rate)
    shoppers = wandering_shoppers(
        rng,
        arrivals,
        aisles_y=_BUSY_AISLES_Y,
        cross_aisles_x=(-6.2, 0.0, 6.2),
        x_range_m=(-5.3, 5.3),
        entry_m=((-6.9, 0.25), (6.9, 2.55), (-6.9, -4.3)),
        first_pid=pid,
        stops_mean=4.0,
        start_inside=inside,
    )
    return keep_apart(shoppers)


def _night_people(rng: np.random.Generator, t0: float, t1: float, pid: int, _factor: float) -> list[Person]:
    return [cleaner(rng, pid, t0, t1 + 1.0, lanes_y=(-0.45, 0.45))]


def _night_light(t_s: float) -> tuple[float, ...]:
    """Banks switch on one by one (with a flicker), then the middle one goes off; repeats every 40 s."""
    t = t_s % 40.0
    flicker = 1.0 if int(t * 10) % 3 else 0.2
    bank0 = 0.0 if t < 4.0 else (flicker if t < 4.6 else 1.0)
    bank1 = 1.0 if 10.0 <= t < 28.0 else 0.0
    bank2 = 1.0 if 16.0 <= t < 34.0 else 0.0
    return (bank0, bank1, bank2)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "entrance",
            "a shop door: single file, groups abreast, turn-backs, trolleys, prams, a child holding a hand",
            entrance_layout(),
            CameraSetup("pinhole", 95.0, 3.2, (0.0, 0.5)),
            _entrance_people,
            _entrance_light,
            hour=12.0,
        ),
        Scenario(
            "aisle",
            "an aisle: browsing, stopping at shelves, passing each other, staff restocking",
            aisle_layout(),
            CameraSetup("pinhole", 100.0, 3.5),
            _aisle_people,
            _steady,
            hour=17.0,
        ),
        Scenario(
            "checkout",
            "a till: a queue that grows and shrinks, a cashier who stays",
            checkout_layout(),
            CameraSetup("pinhole", 100.0, 3.5, (0.2, -0.5)),
            _checkout_people,
            _steady,
            hour=13.0,
            clip_s=60.0,
        ),
        Scenario(
            "busy",
            "a Saturday peak on a 14 x 10 m sales floor under a fisheye: 40+ people in view",
            busy_layout(),
            CameraSetup("fisheye", 160.0, 4.5),
            _busy_people,
            _steady,
            hour=15.0,
            saturday=True,
            clip_s=20.0,
            heatmap_cell_m=1.0,
        ),
        Scenario(
            "night",
            "an empty shop at night: light banks switching, a cleaner pushing a cart",
            night_layout(),
            CameraSetup("pinhole", 100.0, 3.5),
            _night_people,
            _night_light,
            hour=23.0,
            ambient=0.08,
            clip_s=40.0,
        ),
    )
}


def get_scenario(name: str) -> Scenario:
    """The scenario called `name`.

    Raises:
        KeyError: naming the unknown scenario and the known ones.
    """
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}, expected one of: {', '.join(SCENARIOS)}") from None
