"""People who keep a body's width apart instead of walking through one another.

The behaviour generators plan each shopper's route alone, so a fast walker
would overtake a slow one by passing through them, and people crossing each
other's way would meet in one spot. Real people keep a body's width apart.
`keep_apart` makes walkers hold back: everyone moves together in small time
steps along their planned routes; a walker holds (stands for a step) while
someone going the same way is close ahead in their corridor, and walks the
rest of the route that much later. People crossing or coming the other way
are not waited for: they pass, and the lanes (`lane_route`'s keep-right
offset) keep opposite walkers side by side. People in one group (walking
together) do not wait for each other. When walkers wait for each other in
a circle (at a crossing), the first listed goes. `make_room` (every
scenario, after the generators) then nudges people sideways so that no two
heads come within a shoulder width: those crossing, passing someone who
stands, or standing at the same shelf.

Written by hand: crowd simulators (social-force models) steer continuously,
whereas the truth here must stay a keyframed path (`Person`), so the only
edits made are a pause inserted into that path and a sideways shift of it.
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


def make_room(
    people: Sequence[Person],
    *,
    clear_m: float = 0.45,
    step_s: float = 0.1,
    max_shift_m: float = 0.35,
    settle_s: float = 0.5,
    smooth_s: float = 0.2,
) -> list[Person]:
    """`people` (same order) nudged sideways so that no two heads come within `clear_m` of each other.

    The routes are planned alone, and `keep_apart` only makes walkers wait
    behind someone going their way, so people crossing each other's path, or
    a walker and someone standing in it, would pass through one another:
    in the `busy` crowd 7 % of the people in view had a head within 0.3 m of
    theirs, which no two people can do. Here everyone moves together in steps
    of `step_s` (times that are multiples of `step_s`, so a clip's frames
    fall on them), each offset from their planned position by a shift that
    fades back to the plan over about `settle_s` seconds. On each step every
    pair closer than `clear_m` (shoulder to shoulder) is pushed apart:
    people passing each other step aside (the push is across the way they
    close in, so nobody is shoved along their own path), people standing
    side by side shuffle apart, and someone standing moves a quarter of the
    way a walker does. A shift never exceeds `max_shift_m`; in a crush that
    cannot be resolved within it, people stay closer. The shifts are then
    smoothed over `smooth_s` (a Gaussian's standard deviation), so people
    start stepping aside before they meet and at walking speeds (in `busy`
    the fastest moment of a median shopper goes from 1.0 to 1.3 m/s); the
    smoothing gives back a little of the room, so heads end up at least
    about 0.3 m apart. Timing is unchanged: everyone arrives, stands and
    leaves when planned. People who never come close to anyone are
    returned as they were.

    Written by hand, like `keep_apart`: the truth must stay a keyframed
    path, which a crowd simulator's continuous steering does not give.

    Raises:
        ValueError: when a length or time is not positive.
    """
    if min(clear_m, step_s, max_shift_m, settle_s, smooth_s) <= 0:
        raise ValueError("make_room: clear_m, step_s, max_shift_m, settle_s and smooth_s should be > 0")
    if len(people) < 2:
        return list(people)
    first = [int(np.ceil(p.t_start_s / step_s - 1e-9)) for p in people]
    last = [int(np.floor(p.t_end_s / step_s + 1e-9)) for p in people]
    plans = [p.positions_m(np.arange(a, b + 2) * step_s) for p, a, b in zip(people, first, last, strict=True)]
    shifts = [np.zeros((max(b - a + 1, 0), 2)) for a, b in zip(first, last, strict=True)]
    keep = float(np.exp(-step_s / settle_s))  # what is left of a shift after one step
    for step in range(min(first), max(last) + 1):
        active = [i for i in range(len(people)) if first[i] <= step <= last[i]]
        if len(active) < 2:
            continue
        rows = np.array([step - first[i] for i in active])
        planned = np.array([plans[i][r] for i, r in zip(active, rows, strict=True)])
        velocity = np.array([plans[i][r + 1] for i, r in zip(active, rows, strict=True)]) - planned
        velocity = np.nan_to_num(velocity) / step_s  # the step after someone's last is NaN
        shift = np.array(
            [shifts[i][r - 1] * keep if r > 0 else np.zeros(2) for i, r in zip(active, rows, strict=True)]
        )
        shift = _pushed_apart(planned, shift, velocity, clear_m, max_shift_m)
        for i, r, s in zip(active, rows, shift, strict=True):
            shifts[i][r] = s
    return [
        _with_shifts(
            person, np.arange(a, b + 1, dtype=np.float64) * step_s, _smoothed(shift, smooth_s / step_s)
        )
        if np.abs(shift).max(initial=0.0) > 1e-4
        else person
        for person, a, b, shift in zip(people, first, last, shifts, strict=True)
    ]


def _smoothed(shift: FloatArray, sigma_steps: float) -> FloatArray:
    """`shift` (K, 2) smoothed along time with a Gaussian of `sigma_steps` steps (ends held)."""
    # Imported here: every `footfall` command builds the simulator's command line, and scipy.ndimage
    # (with scipy.special) adds about 25 MB to a camera agent's resident memory that never simulates.
    from scipy.ndimage import gaussian_filter1d

    return np.asarray(gaussian_filter1d(shift, sigma_steps, axis=0, mode="nearest"), dtype=np.float64)


def _pushed_apart(
    planned: FloatArray, shift: FloatArray, velocity: FloatArray, clear_m: float, max_shift_m: float
) -> FloatArray:
    """`shift` (N, 2) changed so that the people at `planned + shift` are at least `clear_m` apart where
    the cap `max_shift_m` allows (three passes over the pairs, each pair resolved in full)."""
    mobility = np.where(np.hypot(velocity[:, 0], velocity[:, 1]) > _MOVING_M_S, 1.0, 0.25)
    for _ in range(3):
        here = planned + shift
        offset = here[:, None, :] - here[None, :, :]  # [i, j] = i - j
        distance = np.hypot(offset[..., 0], offset[..., 1])
        np.fill_diagonal(distance, np.inf)
        close_i, close_j = np.nonzero(np.triu(distance < clear_m - 1e-6, 1))
        if not len(close_i):
            break
        for i, j in zip(close_i.tolist(), close_j.tolist(), strict=True):
            away = here[i] - here[j]
            closing = velocity[i] - velocity[j]
            speed = float(np.hypot(*closing))
            if speed > _MOVING_M_S:  # passing: step aside, across the way they close in
                across = np.array([-closing[1], closing[0]]) / speed
                lateral = float(away @ across)
                along = float(away @ closing) / speed
                side = 1.0 if lateral >= 0 else -1.0
                needed = np.sqrt(max(clear_m**2 - along**2, 0.0)) - abs(lateral)
                direction = side * across
            else:  # standing (or walking together): straight apart
                gap = float(np.hypot(*away))
                direction = away / gap if gap > 1e-9 else np.array([1.0, 0.0])
                needed = clear_m - gap
            if needed <= 0:
                continue
            share_i = mobility[i] / (mobility[i] + mobility[j])
            shift[i] = _capped(shift[i] + direction * needed * share_i, max_shift_m)
            shift[j] = _capped(shift[j] - direction * needed * (1.0 - share_i), max_shift_m)
            here[i], here[j] = planned[i] + shift[i], planned[j] + shift[j]
    return shift


def _capped(shift: FloatArray, max_m: float) -> FloatArray:
    """`shift` (2,) shortened to at most `max_m` metres."""
    length = float(np.hypot(*shift))
    return shift if length <= max_m else shift * (max_m / length)


def _with_shifts(person: Person, times_s: FloatArray, shift: FloatArray) -> Person:
    """`person` following their path moved by `shift` (K, 2) at `times_s` (K,); presence and the
    facing at each planned stand unchanged."""
    times = np.unique(np.concatenate([[person.t_start_s], times_s, [person.t_end_s]]))
    moved = person.positions_m(times) + np.column_stack(
        [np.interp(times, times_s, shift[:, 0]), np.interp(times, times_s, shift[:, 1])]
    )
    facing = None
    if person.facing_rad is not None:
        segment = np.clip(
            np.searchsorted(person.times_s, times, side="right") - 1, 0, len(person.times_s) - 2
        )
        facing = person.facing_rad[segment]
    return replace(person, times_s=times, path_m=moved, facing_rad=facing)
