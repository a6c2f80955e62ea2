"""What simulated people do in a store: browse and stop at shelves, queue, wander, linger, clean.

Every generator is a pure function of its random generator and arguments
and returns `Person`s with keyframed paths (see `agent.sim.people`).
Walking speeds are drawn around 1.2 m/s (slower while browsing), stops and
dwell times from exponential-like distributions, so the truth covers short
glances and long stays alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from agent.sim.looks import random_appearance
from agent.sim.people import Person, Pushing, Role

Point = tuple[float, float]


class PathBuilder:
    """Keyframes built step by step: walk to a point at a speed, stand for a while (metres, seconds)."""

    def __init__(self, t0_s: float, start_m: Point) -> None:
        self.times: list[float] = [t0_s]
        self.points: list[Point] = [start_m]
        self.facing: list[float] = [float("nan")]

    @property
    def t_s(self) -> float:
        """Time at the end of the path so far."""
        return self.times[-1]

    @property
    def here(self) -> Point:
        """Position at the end of the path so far."""
        return self.points[-1]

    def walk(self, to_m: Point, speed_m_s: float) -> PathBuilder:
        """Walk in a straight line to `to_m` at `speed_m_s` (> 0)."""
        distance = float(np.hypot(to_m[0] - self.here[0], to_m[1] - self.here[1]))
        self.times.append(self.t_s + distance / speed_m_s)
        self.points.append(to_m)
        self.facing.append(float("nan"))
        return self

    def stand(self, duration_s: float, facing_rad: float = float("nan")) -> PathBuilder:
        """Stand still for `duration_s`, facing `facing_rad` (NaN: keep the walking direction)."""
        self.facing[-1] = facing_rad
        self.times.append(self.t_s + max(duration_s, 0.0))
        self.points.append(self.here)
        self.facing.append(facing_rad)
        return self

    def build(
        self, rng: np.random.Generator, pid: int, role: Role, pushing: Pushing = "none", group: int = -1
    ) -> Person:
        """The person walking this path, with a random look for `role`."""
        return Person(
            pid,
            role,
            random_appearance(rng, role),
            np.array(self.times),
            np.array(self.points),
            pushing=pushing,
            facing_rad=np.array(self.facing),
            group=group,
        )


def walking_speed(rng: np.random.Generator, browsing: bool = False) -> float:
    """A walking speed in m/s: ~N(1.25, 0.18) striding, ~N(0.8, 0.15) browsing, clipped to 0.4-1.8."""
    mean = 0.8 if browsing else 1.25
    return float(np.clip(rng.normal(mean, 0.18 if not browsing else 0.15), 0.4, 1.8))


def dwell_s(rng: np.random.Generator, mean_s: float, max_s: float = 120.0) -> float:
    """A stop length in seconds: 1 s plus an exponential with mean `mean_s`, at most `max_s`."""
    return float(min(1.0 + rng.exponential(mean_s), max_s))


def aisle_shoppers(rng: np.random.Generator, arrivals_s: Sequence[float], first_pid: int = 0) -> list[Person]:
    """Shoppers walking along an aisle (x from -5 to 5 m, fronts at y = +-1 m), stopping at shelves.

    They keep to their right (eastbound at y < 0, westbound y > 0), so two
    meeting in the aisle pass each other; 0-3 stops each, facing the shelf.
    """
    people = []
    for k, t0 in enumerate(arrivals_s):
        eastbound = bool(rng.random() < 0.5)
        sign = 1.0 if eastbound else -1.0
        lane_y = -0.3 * sign + float(rng.normal(0, 0.06))
        path = PathBuilder(t0, (-5.0 * sign, lane_y))
        speed = walking_speed(rng, browsing=True)
        stops = sorted(rng.uniform(-3.6, 3.6, size=int(rng.integers(0, 4))) * sign)
        for x in stops:
            north = bool(rng.random() < 0.5)
            shelf_y = 0.65 if north else -0.65
            path.walk((float(x), lane_y), speed).walk((float(x) + 0.3 * sign, shelf_y), 0.7)
            path.stand(dwell_s(rng, 5.0), facing_rad=np.pi / 2 if north else -np.pi / 2)
            path.walk((float(x) + 0.6 * sign, lane_y), 0.7)
        if rng.random() < 0.15:  # changes their mind and leaves the way they came
            path.walk((path.here[0] + 0.8 * sign, lane_y), speed).stand(1.0).walk(
                (-5.0 * sign, -lane_y), speed
            )
        else:
            path.walk((5.0 * sign, lane_y), speed)
        people.append(path.build(rng, first_pid + k, "shopper"))
    return people


def lingering_staff(
    rng: np.random.Generator, pid: int, spots_m: Sequence[Point], t0_s: float, t1_s: float, facing_rad: float
) -> Person:
    """A member of staff who stays from `t0_s` to `t1_s`, moving between `spots_m` and standing long."""
    path = PathBuilder(t0_s, spots_m[0])
    while path.t_s < t1_s:
        spot = spots_m[int(rng.integers(len(spots_m)))]
        jitter = (spot[0] + float(rng.normal(0, 0.15)), spot[1] + float(rng.normal(0, 0.05)))
        path.walk(jitter, 0.6).stand(float(rng.uniform(4.0, 15.0)), facing_rad)
    return path.build(rng, pid, "staff")


def checkout_queue(
    rng: np.random.Generator,
    arrivals_s: Sequence[float],
    *,
    service_s: Callable[[np.random.Generator], float],
    first_pid: int = 0,
    till_m: Point = (0.05, 0.8),
    slot_m: float = 0.7,
) -> list[Person]:
    """Customers who walk to a single till, queue along -y in front of it, pay and leave towards +y.

    A first-come first-served single-server queue: customer i starts paying at
    max(reaching the queue, previous customer done) and steps forward one slot
    (`slot_m`) each time someone ahead leaves the till.
    """
    people: list[Person] = []
    ends: list[float] = []  # when each earlier customer leaves the till
    for k, t0 in enumerate(sorted(arrivals_s)):
        entry = (float(rng.uniform(-4.5, -2.0)), -4.0)
        speed = walking_speed(rng)
        # Queue position when reaching it: one slot per earlier customer still at or before the till.
        approach_s = float(np.hypot(till_m[0] - entry[0], till_m[1] - 3.0 * slot_m - entry[1])) / speed
        reach = t0 + approach_s
        ahead = sorted(e for e in ends if e > reach)
        slot = len(ahead)
        path = PathBuilder(t0, entry)
        lateral = float(rng.normal(0, 0.05))
        path.walk((till_m[0] + lateral - 0.6, till_m[1] - (slot + 1.5) * slot_m), speed)
        path.walk((till_m[0] + lateral, till_m[1] - slot * slot_m), 0.9)
        for leaving in ahead:  # step forward as each customer ahead leaves
            wait = leaving - path.t_s
            if wait > 0:
                path.stand(wait, facing_rad=np.pi / 2)
            slot -= 1
            path.walk((till_m[0] + lateral, till_m[1] - slot * slot_m), 0.8)
        path.stand(service_s(rng), facing_rad=0.0)  # paying, facing the till (+x)
        ends.append(path.t_s)
        path.walk((till_m[0] - 0.2, till_m[1] + 1.6), speed).walk(
            (float(rng.uniform(-3.0, -1.0)), 4.0), speed
        )
        people.append(
            path.build(rng, first_pid + k, "shopper", pushing="trolley" if rng.random() < 0.2 else "none")
        )
    return people


def corridor_route(
    rng: np.random.Generator, start_m: Point, goal_m: Point, cross_aisles_x: Sequence[float]
) -> list[Point]:
    """Waypoints from `start_m` to `goal_m` along horizontal aisles joined by vertical cross aisles.

    Goes along the start's aisle (constant y) to the nearest usable cross
    aisle, along it to the goal's aisle, then to the goal, with a little
    sideways jitter so nobody walks on rails.
    """
    if abs(start_m[1] - goal_m[1]) < 0.3:
        return [goal_m]
    midpoint = (start_m[0] + goal_m[0]) / 2
    cross = min(cross_aisles_x, key=lambda x: abs(x - midpoint) + float(rng.uniform(0, 1.5)))
    cross += float(rng.normal(0, 0.15))
    return [(cross, start_m[1]), (cross, goal_m[1]), goal_m]


def wandering_shoppers(
    rng: np.random.Generator,
    arrivals_s: Sequence[float],
    *,
    aisles_y: Sequence[float],
    cross_aisles_x: Sequence[float],
    x_range_m: tuple[float, float],
    entry_m: Sequence[Point],
    first_pid: int = 0,
    stops_mean: float = 2.5,
    start_inside: int = 0,
) -> list[Person]:
    """Shoppers who enter (or, for the first `start_inside`, are already inside) and visit shelves.

    Each visits a Poisson(`stops_mean`) number of shelf spots in the aisles
    at `aisles_y`, standing at each facing a shelf, then leaves by an entry.
    """
    people = []
    for k, t0 in enumerate(arrivals_s):
        if k < start_inside:
            here: Point = (
                float(rng.uniform(*x_range_m)),
                float(rng.choice(aisles_y)) + float(rng.normal(0, 0.1)),
            )
        else:
            here = entry_m[int(rng.integers(len(entry_m)))]
        path = PathBuilder(t0, here)
        speed = walking_speed(rng, browsing=bool(rng.random() < 0.5))
        trolley: Pushing = "trolley" if rng.random() < 0.12 else "none"
        for _ in range(max(1, int(rng.poisson(stops_mean)))):
            aisle = float(rng.choice(aisles_y))
            goal = (float(rng.uniform(*x_range_m)), aisle + float(rng.normal(0, 0.12)))
            for waypoint in corridor_route(rng, path.here, goal, cross_aisles_x):
                path.walk(waypoint, speed)
            path.stand(dwell_s(rng, 6.0), facing_rad=float(rng.choice([np.pi / 2, -np.pi / 2])))
        exit_m = entry_m[int(rng.integers(len(entry_m)))]
        for waypoint in corridor_route(rng, path.here, (exit_m[0], aisles_y[0]), cross_aisles_x):
            path.walk(waypoint, speed)
        path.walk(exit_m, speed)
        role: Role = "child" if rng.random() < 0.06 else "shopper"
        people.append(path.build(rng, first_pid + k, role, pushing=trolley if role == "shopper" else "none"))
    return people


def cleaner(rng: np.random.Generator, pid: int, t0_s: float, t1_s: float, lanes_y: Sequence[float]) -> Person:
    """A cleaner pushing a cart slowly up and down the aisle lanes (a lawnmower pattern) until `t1_s`."""
    path = PathBuilder(t0_s, (-4.8, lanes_y[0]))
    east = True
    while path.t_s < t1_s:
        for y in lanes_y:
            x = 4.2 if east else -4.2
            path.walk((path.here[0], y), 0.5).walk(
                (x, y + float(rng.normal(0, 0.05))), float(rng.uniform(0.45, 0.7))
            )
            path.stand(float(rng.uniform(1.0, 5.0)))
            east = not east
    return path.build(rng, pid, "cleaner", pushing="cart")
