"""Walkers who slow down instead of walking through the person ahead of them.

The behaviour generators plan each shopper's route alone, so a fast walker
would overtake a slow one by passing through them. Real people keep a
body's width apart: they hold back until there is room. `keep_apart` moves
everyone together in small time steps along their planned routes; a walker
holds (stands for a step) while someone going the same way is close ahead
in their corridor, and walks the rest of the route that much later. People
crossing or coming the other way are not waited for: they pass, and the
lanes (`lane_route`'s keep-right offset) keep opposite walkers side by side.
People in one group (walking together) do not wait for each other. When
walkers wait for each other in a circle (at a crossing), the first listed
goes.

Written by hand: crowd simulators (social-force models) steer continuously,
whereas the truth here must stay a keyframed path (`Person`), so the only
edit made is a pause inserted into that path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from agent.sim.people import FloatArray, Person

_MOVING_M_S = 0.05
_SAME_WAY = 0.5  # cosine of the widest angle between two headings that still counts as following


def keep_apart(
    people: Sequence[Person],
    *,
    gap_m: float = 0.5,
    corridor_m: float = 0.32,
    step_s: float = 0.1,
    max_wait_s: float = 60.0,
) -> list[Person]:
    """`people` (same order) with pauses inserted so that no walker closes within `gap_m` of someone ahead.

    Everyone moves together in steps of `step_s`, along their planned route.
    A walker holds (does not advance) on a step when someone on their way
    (walking, or holding) and heading within 60 degrees of the same way is in
    front of them, closer than `gap_m` and less than `corridor_m` to either
    side of their heading. People standing where they planned to (at a shelf,
    in a queue) are passed by, as the lanes keep walkers clear of them. A
    circle of walkers waiting for each other releases its first-listed one. A
    walker waits `max_wait_s` at most in all, then walks on as in a real crush.

    Raises:
        ValueError: when a length or time is not positive.
    """
    if min(gap_m, corridor_m, step_s) <= 0 or max_wait_s < 0:
        raise ValueError("keep_apart: gap_m, corridor_m and step_s should be > 0, max_wait_s >= 0")
    if not people:
        return []
    plans = [
        person.positions_m(np.arange(person.t_start_s, person.t_end_s + step_s, step_s)) for person in people
    ]
    first_step = [round(person.t_start_s / step_s) for person in people]
    groups = np.array([person.group for person in people])
    advanced = [0] * len(people)  # steps of the plan walked so far
    held = [0] * len(people)
    holds: list[list[int]] = [[] for _ in people]  # plan step at each held step
    budget = round(max_wait_s / step_s)
    step = min(first_step)
    while True:
        active = [i for i in range(len(people)) if first_step[i] <= step and advanced[i] < len(plans[i]) - 1]
        if not active and step > max(first_step):
            break
        if active:
            here = np.array([plans[i][advanced[i]] for i in active])
            heading = np.array([plans[i][advanced[i] + 1] for i in active]) - here
            waits = _waits_for(here, heading / step_s, groups[active], gap_m, corridor_m)
            holding = [bool(row.any()) for row in waits]
            for row, i in enumerate(active):
                if holding[row] and held[i] < budget:
                    held[i] += 1
                    holds[i].append(advanced[i])
                else:
                    advanced[i] += 1
        step += 1
    return [_with_holds(person, steps, step_s) for person, steps in zip(people, holds, strict=True)]


def _waits_for(
    here: FloatArray, velocity: FloatArray, groups: npt.NDArray[np.int_], gap_m: float, corridor_m: float
) -> npt.NDArray[np.bool_]:
    """(N, N) matrix: walker i (row, moving at `velocity` m/s from `here`) should hold for person j."""
    speed = np.hypot(velocity[:, 0], velocity[:, 1])
    heading = velocity / np.maximum(speed, 1e-9)[:, None]
    offset = here[None, :, :] - here[:, None, :]  # [i, j] = j - i
    along = np.einsum("ijk,ik->ij", offset, heading)
    across = np.abs(offset[..., 0] * heading[:, None, 1] - offset[..., 1] * heading[:, None, 0])
    their_along = np.einsum("jk,ik->ij", velocity, heading)
    ahead = (
        (speed > _MOVING_M_S)[None, :]  # walking, or holding while on the way: not standing at a shelf
        & (np.hypot(offset[..., 0], offset[..., 1]) < gap_m)
        & (along > 0)
        & (across < corridor_m)
        & (their_along > _SAME_WAY * speed[None, :])  # going the same way (not across or towards)
        & (speed > _MOVING_M_S)[:, None]
    )
    ahead &= ~((groups[:, None] == groups[None, :]) & (groups[:, None] >= 0))
    np.fill_diagonal(ahead, False)
    if not ahead.any():  # most steps: nobody is held, so there is no circle to look for
        return np.asarray(ahead, dtype=np.bool_)
    return np.asarray(ahead & ~_first_in_each_cycle(ahead)[:, None], dtype=np.bool_)


def _first_in_each_cycle(waits: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """(N,) True for the first-listed walker of each group waiting for one another in a circle (gridlock)."""
    reach = waits.copy()
    for _ in range(max(1, int(np.ceil(np.log2(len(waits) + 1))))):
        reach |= (reach.astype(np.int32) @ reach.astype(np.int32)) > 0
    circle = reach & reach.T
    on_circle = np.diag(circle).copy()
    index = np.arange(len(waits))
    first_of_circle = np.where(circle, index[None, :], len(waits)).min(axis=1)
    return np.asarray(on_circle & (first_of_circle == index), dtype=np.bool_)


def _with_holds(person: Person, hold_steps: list[int], step_s: float) -> Person:
    """`person` standing still for `step_s` at each planned step in `hold_steps` (non-decreasing),
    the rest of the path that much later; one new path, built in one pass."""
    if not hold_steps:
        return person
    plan_steps, counts = np.unique(hold_steps, return_counts=True)
    at_s = person.times_s[0] + plan_steps * step_s  # on the planned timeline
    pause_s = counts * step_s
    delay_s = np.concatenate([[0.0], np.cumsum(pause_s)])  # before each pause, and after the last
    times = person.times_s
    facing = person.facing_rad if person.facing_rad is not None else np.full(len(times), np.nan)
    # A keyframe at a pause's own time stays before it; later ones move by every earlier pause.
    moved_s = times + delay_s[np.searchsorted(at_s, times, side="left")]
    starts_s = at_s + delay_s[:-1]
    where = person.positions_m(at_s)
    all_times = np.concatenate([moved_s, starts_s, starts_s + pause_s])
    order = np.argsort(all_times, kind="stable")  # keyframes first where times tie
    return replace(
        person,
        times_s=all_times[order],
        path_m=np.concatenate([person.path_m, where, where])[order],
        facing_rad=np.concatenate([facing, np.full(2 * len(at_s), np.nan)])[order],
    )
