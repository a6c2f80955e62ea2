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
    A shelf spot someone else stands at (`PersonalSpace`) is passed by: the
    shopper stops a little further on, or not at all.
    """
    people = []
    space = PersonalSpace()
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
            stay_s = dwell_s(rng, 5.0)
            for shift_m in (0.0, 0.7, 1.4):
                spot = (float(x) + (0.3 + shift_m) * sign, shelf_y)
                arrive_s = path.t_s + abs(spot[0] - path.here[0]) / speed + 1.0
                if space.is_free(spot, arrive_s, arrive_s + stay_s):
                    break
            else:
                continue  # the shelf is crowded here: walk on
            path.walk((spot[0] - 0.3 * sign, lane_y), speed).walk(spot, 0.7)
            start_s = path.t_s
            path.stand(stay_s, facing_rad=np.pi / 2 if north else -np.pi / 2)
            space.claim(spot, start_s, path.t_s)
            path.walk((spot[0] + 0.3 * sign, lane_y), 0.7)
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
    """Customers who walk to a single till, queue along -y in front of it, pay and leave past it (-x, then +y).

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
        path.walk((till_m[0] - 1.4, till_m[1] + float(rng.uniform(0.0, 0.25))), speed).walk(
            (float(rng.uniform(-3.0, -1.5)), 4.0), speed
        )
        people.append(
            path.build(rng, first_pid + k, "shopper", pushing="trolley" if rng.random() < 0.2 else "none")
        )
    return people


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
    at `aisles_y`, standing at each on the side of the shelf it faces, then
    leaves by an entry. A spot is chosen clear of everyone already standing
    there at that time (`PersonalSpace`), as shoppers wait for a gap rather
    than stand inside one another.
    """
    people = []
    space = PersonalSpace()
    for k, t0 in enumerate(arrivals_s):
        speed = walking_speed(rng, browsing=bool(rng.random() < 0.5))
        if k < start_inside:
            here, facing = space.shelf_spot(rng, x_range_m, aisles_y, t0, 5.0)
            path = PathBuilder(t0, here)
            path.stand(float(rng.uniform(0.0, 5.0)), facing_rad=facing)
            space.claim(here, t0, path.t_s)
        else:
            path = PathBuilder(t0, entry_m[int(rng.integers(len(entry_m)))])
        trolley: Pushing = "trolley" if rng.random() < 0.12 else "none"
        for _ in range(max(1, int(rng.poisson(stops_mean)))):
            stay_s = dwell_s(rng, 6.0)
            goal, facing = space.shelf_spot(rng, x_range_m, aisles_y, path.t_s, stay_s, path.here, speed)
            for waypoint in lane_route(rng, path.here, goal, aisles_y, cross_aisles_x):
                path.walk(waypoint, speed)
            start_s = path.t_s
            path.stand(stay_s, facing_rad=facing)
            space.claim(goal, start_s, path.t_s)
        exit_m = entry_m[int(rng.integers(len(entry_m)))]
        for waypoint in lane_route(rng, path.here, exit_m, aisles_y, cross_aisles_x):
            path.walk(waypoint, speed)
        role: Role = "child" if rng.random() < 0.06 else "shopper"
        people.append(path.build(rng, first_pid + k, role, pushing=trolley if role == "shopper" else "none"))
    return people


class PersonalSpace:
    """Where shoppers stand and when, so the next one picks a spot with room (metres, seconds).

    Shoppers keep about `clearance_m` (0.6 m: shoulder width plus a little)
    from anyone standing near the same time; after `tries` crowded draws the
    last one is taken anyway, as in a real crush.
    """

    def __init__(self, clearance_m: float = 0.6, tries: int = 12) -> None:
        self._clearance_m = clearance_m
        self._tries = tries
        self._spots: list[tuple[float, float, float, float]] = []  # x, y, from_s, to_s

    def shelf_spot(
        self,
        rng: np.random.Generator,
        x_range_m: tuple[float, float],
        aisles_y: Sequence[float],
        now_s: float,
        stay_s: float,
        here_m: Point | None = None,
        speed_m_s: float = 1.0,
    ) -> tuple[Point, float]:
        """A free spot beside a shelf in one of `aisles_y` and the facing (radians) towards that shelf.

        Free means nobody stands within the clearance from when this shopper
        would get there from `here_m` (walking the aisles at `speed_m_s`;
        at once if None) until `stay_s` later.
        """
        spot: Point = (0.0, 0.0)
        facing = np.pi / 2
        for _ in range(self._tries):
            facing = float(rng.choice([np.pi / 2, -np.pi / 2]))
            side = 1.0 if facing > 0 else -1.0
            aisle = float(rng.choice(aisles_y))
            spot = (float(rng.uniform(*x_range_m)), aisle + side * 0.55 + float(rng.normal(0, 0.03)))
            walk_m = 0.0 if here_m is None else abs(spot[0] - here_m[0]) + abs(spot[1] - here_m[1])
            arrive_s = now_s + walk_m / speed_m_s
            if self.is_free(spot, arrive_s, arrive_s + stay_s):
                break
        return spot, facing

    def claim(self, spot: Point, from_s: float, to_s: float) -> None:
        """Someone stands at `spot` from `from_s` to `to_s`."""
        self._spots.append((spot[0], spot[1], from_s, to_s))

    def is_free(self, spot: Point, from_s: float, to_s: float) -> bool:
        """Nobody stands within the clearance of `spot` between `from_s` and `to_s` (give or take 3 s)."""
        margin_s = 3.0  # arrival times are estimates
        for x, y, a, b in self._spots:
            overlaps = a - margin_s < to_s and from_s < b + margin_s
            if overlaps and np.hypot(x - spot[0], y - spot[1]) < self._clearance_m:
                return False
        return True


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


def lane_route(
    rng: np.random.Generator,
    start_m: Point,
    goal_m: Point,
    aisles_y: Sequence[float],
    cross_aisles_x: Sequence[float],
    keep_right_m: float = 0.2,
) -> list[Point]:
    """Waypoints from `start_m` to `goal_m` along the aisles at `aisles_y`, joined by cross aisles.

    A shopper steps from the shelf into the aisle, walks along it to a cross
    aisle near the middle of the trip, along that to the goal's aisle, then to
    the goal; on each it keeps `keep_right_m` to the right of the centre line
    (with a little personal jitter), so people meeting in an aisle pass side
    by side instead of through each other.
    """
    aisle_from = min(aisles_y, key=lambda y: abs(y - start_m[1]))
    aisle_to = min(aisles_y, key=lambda y: abs(y - goal_m[1]))
    jitter = float(rng.normal(0, 0.03))

    def lane_y(aisle: float, towards_x: float, from_x: float) -> float:
        return aisle - (keep_right_m if towards_x >= from_x else -keep_right_m) + jitter

    if aisle_from == aisle_to:
        y = lane_y(aisle_from, goal_m[0], start_m[0])
        return [(start_m[0], y), (goal_m[0], y), goal_m]
    midpoint = (start_m[0] + goal_m[0]) / 2
    cross = min(cross_aisles_x, key=lambda x: abs(x - midpoint) + float(rng.uniform(0, 1.5)))
    cross_x = cross + (keep_right_m if aisle_to > aisle_from else -keep_right_m) + jitter
    y_out = lane_y(aisle_from, cross_x, start_m[0])
    y_in = lane_y(aisle_to, goal_m[0], cross_x)
    return [(start_m[0], y_out), (cross_x, y_out), (cross_x, y_in), (goal_m[0], y_in), goal_m]
