"""People passing through a doorway: single file, abreast, turning back, pushing, holding hands.

Shared by the `entrance` scenario and the ToF sensor simulation. The door
is an opening in a wall along floor x at `y = door.line_y_m`; inside the
shop is +y (the counting line's "in" side). Each arrival is an *event*
(one walker, a group abreast, a turn-back, a parent with a child, someone
pushing a trolley or pram) whose members get their own straight-ish paths.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from agent.sim.looks import random_appearance
from agent.sim.people import Person, Pushing, Role


@dataclass(frozen=True)
class Door:
    """A doorway: opening from `x0_m` to `x1_m` at `line_y_m`; paths run from `y_out_m` to `y_in_m`."""

    x0_m: float
    x1_m: float
    line_y_m: float = 0.0
    y_out_m: float = -2.5
    y_in_m: float = 2.5

    def __post_init__(self) -> None:
        if not self.x1_m - self.x0_m >= 0.8:
            raise ValueError(f"Door {self.x0_m}..{self.x1_m} m: opening should be at least 0.8 m wide")
        if not self.y_out_m < self.line_y_m < self.y_in_m:
            raise ValueError(
                f"Door: y_out_m {self.y_out_m} < line_y_m {self.line_y_m} < y_in_m {self.y_in_m} should hold"
            )


@dataclass(frozen=True)
class DoorwayMix:
    """Relative weights of the kinds of arrival event (need not sum to 1)."""

    single: float = 0.55
    pair: float = 0.15
    three_abreast: float = 0.04
    turn_back: float = 0.10
    child_hand: float = 0.06
    trolley: float = 0.05
    pram: float = 0.05


ONLY_PEOPLE = DoorwayMix(trolley=0.0, pram=0.0, child_hand=0.0)
"""The ToF mix: single file, groups abreast and turn-backs."""


class _Ids:
    """Hands out person and group ids in order (one per generator run; no global counter)."""

    def __init__(self, first: int) -> None:
        self.next_pid, self.next_group = first, 0

    def pid(self) -> int:
        self.next_pid += 1
        return self.next_pid - 1

    def group(self) -> int:
        self.next_group += 1
        return self.next_group - 1


def _straight(
    door: Door, x_m: float, inward: bool, t0_s: float, speed_m_s: float, wander_m: float
) -> tuple[list[float], list[tuple[float, float]]]:
    """Keyframes of a walk through the door at `x_m`, with a slight lateral wander."""
    ys = [door.y_out_m, door.line_y_m - 0.9, door.line_y_m + 0.9, door.y_in_m]
    if not inward:
        ys = ys[::-1]
    xs = [x_m - wander_m, x_m, x_m + 0.3 * wander_m, x_m + wander_m]
    times, path = [t0_s], [(xs[0], ys[0])]
    for x, y in zip(xs[1:], ys[1:], strict=True):
        step = float(np.hypot(x - path[-1][0], y - path[-1][1]))
        times.append(times[-1] + step / speed_m_s)
        path.append((x, y))
    return times, path


def doorway_people(
    rng: np.random.Generator,
    door: Door,
    arrival_times_s: list[float],
    *,
    mix: DoorwayMix = DoorwayMix(),
    first_pid: int = 0,
    inward_share: float = 0.5,
    keep_to_side_m: float = 0.0,
    min_turn_depth_m: float = 0.05,
    min_gap_m: float = 0.0,
) -> list[Person]:
    """People for each arrival time (seconds), each arrival one event drawn from `mix`.

    Turn-backs walk to a random depth on either side of the line (so some
    cross it twice, in then out, and some never reach it) and return.
    With `keep_to_side_m` > 0, people walking alone keep that far to their
    right of the door's centre line, as people do when they may meet someone
    in a narrow door; with 0 they walk anywhere between the margins and may
    pass straight through each other (no simulated person avoids another).
    A turn-back stops at least `min_turn_depth_m` from the line on either side.
    With `min_gap_m` > 0, someone who would walk into the person ahead of
    them in the same direction (within 0.6 m sideways) keeps that gap
    instead: they start later and do not overtake.

    Raises:
        ValueError: if every weight in `mix` is zero.
    """
    kinds = ("single", "pair", "three_abreast", "turn_back", "child_hand", "trolley", "pram")
    weights = np.array([getattr(mix, k) for k in kinds], dtype=float)
    if weights.sum() <= 0:
        raise ValueError(f"DoorwayMix {mix}: at least one weight should be > 0")
    weights /= weights.sum()
    ids = _Ids(first_pid)
    people: list[Person] = []
    ahead: dict[bool, tuple[float, float, float]] = {}  # direction -> (start s, x m, speed m/s)
    for t0 in arrival_times_s:
        kind = kinds[int(rng.choice(len(kinds), p=weights))]
        inward = bool(rng.random() < inward_share)
        speed = float(np.clip(rng.normal(1.25, 0.18), 0.7, 1.8))
        margin = 0.45
        x = float(rng.uniform(door.x0_m + margin, door.x1_m - margin))
        if keep_to_side_m > 0:
            centre = (door.x0_m + door.x1_m) / 2
            x = centre + (keep_to_side_m if inward else -keep_to_side_m) + float(rng.normal(0.0, 0.05))
        wander = float(rng.normal(0.0, 0.12))
        if min_gap_m > 0 and inward in ahead:
            t_ahead, x_ahead, speed_ahead = ahead[inward]
            if abs(x - x_ahead) < 0.6:
                speed = min(speed, speed_ahead)
                t0 = max(t0, t_ahead + min_gap_m / speed)
        ahead[inward] = (t0, x, speed)
        people.extend(_event(rng, door, kind, x, inward, t0, speed, wander, ids, min_turn_depth_m))
    return people


def _person(
    rng: np.random.Generator,
    ids: _Ids,
    role: Role,
    keyframes: tuple[list[float], list[tuple[float, float]]],
    group: int = -1,
    pushing: Pushing = "none",
) -> Person:
    times, path = keyframes
    return Person(
        ids.pid(),
        role,
        random_appearance(rng, role),
        np.array(times),
        np.array(path),
        pushing=pushing,
        group=group,
    )


def _event(
    rng: np.random.Generator,
    door: Door,
    kind: str,
    x: float,
    inward: bool,
    t0: float,
    speed: float,
    wander: float,
    ids: _Ids,
    min_turn_depth_m: float = 0.05,
) -> list[Person]:
    if kind in ("pair", "three_abreast", "child_hand"):
        size = 3 if kind == "three_abreast" else 2
        spacing = 0.38 if kind == "child_hand" else float(rng.uniform(0.5, 0.65))
        centre = float(
            np.clip(x, door.x0_m + 0.3 + spacing * (size - 1) / 2, door.x1_m - 0.3 - spacing * (size - 1) / 2)
        )
        group = ids.group()
        members = []
        for k in range(size):
            offset = (k - (size - 1) / 2) * spacing
            role: Role = "child" if kind == "child_hand" and k == 1 else "shopper"
            lag = float(rng.normal(0.0, 0.08))  # abreast, not in lockstep
            members.append(
                _person(
                    rng, ids, role, _straight(door, centre + offset, inward, t0 + lag, speed, wander), group
                )
            )
        return members
    if kind == "turn_back":
        return [_turn_back(rng, door, x, inward, t0, speed, ids, min_turn_depth_m)]
    pushing: Pushing = "trolley" if kind == "trolley" else "pram" if kind == "pram" else "none"
    if pushing != "none":
        speed = min(speed, 1.1)
    return [_person(rng, ids, "shopper", _straight(door, x, inward, t0, speed, wander), pushing=pushing)]


def _turn_back(
    rng: np.random.Generator,
    door: Door,
    x: float,
    inward: bool,
    t0: float,
    speed: float,
    ids: _Ids,
    min_depth_m: float = 0.05,
) -> Person:
    """Walk towards the door, stop at a depth from 0.8 m short of the line to 1.2 m past it, return."""
    sign = 1.0 if inward else -1.0
    start_y = door.y_out_m if inward else door.y_in_m
    # Never stop within `min_depth_m` of the line: the truth must be unambiguous.
    depth = float(rng.choice([rng.uniform(-0.8, -min_depth_m), rng.uniform(min_depth_m, 1.2)]))
    turn_y = door.line_y_m + sign * depth
    pause = float(rng.uniform(0.4, 2.0))
    walk1 = abs(turn_y - start_y) / speed
    back_x = x + float(rng.normal(0, 0.2))
    times = [t0, t0 + walk1, t0 + walk1 + pause, t0 + walk1 + pause + abs(turn_y - start_y) / speed]
    path = [(x, start_y), (x, turn_y), (x + 0.05 * sign, turn_y), (back_x, start_y)]
    return _person(rng, ids, "shopper", (times, path))


def poisson_arrivals(
    rng: np.random.Generator,
    t0_s: float,
    t1_s: float,
    rate_per_s: Callable[[float], float],
    max_rate_per_s: float,
) -> list[float]:
    """Arrival times in [t0_s, t1_s) of a Poisson process with time-varying rate (thinning).

    `max_rate_per_s` must bound `rate_per_s` from above.

    Raises:
        ValueError: if `max_rate_per_s` is not > 0 or a rate exceeds it.
    """
    if not max_rate_per_s > 0:
        raise ValueError(f"max_rate_per_s is {max_rate_per_s!r}, should be > 0 arrivals per second")
    times: list[float] = []
    t = t0_s
    while True:
        t += float(rng.exponential(1.0 / max_rate_per_s))
        if t >= t1_s:
            return times
        rate = rate_per_s(t)
        if rate > max_rate_per_s * (1 + 1e-9):
            raise ValueError(f"rate {rate:.3g}/s at t={t:.1f} s exceeds max_rate_per_s {max_rate_per_s:.3g}")
        if rng.random() * max_rate_per_s < rate:
            times.append(t)
