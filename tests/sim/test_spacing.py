"""Simulated people hold back behind the person ahead and step aside instead of walking through anyone."""

from __future__ import annotations

import numpy as np
import pytest

from agent.sim.behaviour import PathBuilder
from agent.sim.people import Person
from agent.sim.scenarios import SCENARIOS
from agent.sim.spacing import _first_in_each_cycle, keep_apart, make_room


def _walker(
    pid: int, t0_s: float, start: tuple[float, float], end: tuple[float, float], speed: float
) -> Person:
    return PathBuilder(t0_s, start).walk(end, speed).build(np.random.default_rng(pid), pid, "shopper")


def _closest_m(a: Person, b: Person, step_s: float = 0.05) -> float:
    t = np.arange(max(a.t_start_s, b.t_start_s), min(a.t_end_s, b.t_end_s), step_s)
    return float(np.min(np.hypot(*(a.positions_m(t) - b.positions_m(t)).T)))


def test_a_fast_walker_follows_a_slow_one_at_a_distance_and_arrives_later() -> None:
    slow = _walker(0, 0.0, (-5.0, 0.0), (5.0, 0.0), 0.6)
    fast = _walker(1, 1.0, (-5.0, 0.0), (5.0, 0.0), 1.4)
    assert _closest_m(slow, fast) < 0.1  # as planned, the fast one walks through the slow one

    kept = keep_apart([slow, fast])

    assert kept[0] is slow  # the first to arrive has right of way
    assert _closest_m(kept[0], kept[1]) >= 0.35  # gap 0.5 m less one step of the faster walker
    assert kept[1].positions_m(kept[1].t_end_s)[0] == pytest.approx((5.0, 0.0))
    assert kept[1].t_end_s > fast.t_end_s + 5.0  # held back behind the slow walker


def test_people_coming_the_other_way_and_people_walking_together_are_not_held() -> None:
    east = _walker(0, 0.0, (-5.0, -0.2), (5.0, -0.2), 1.2)
    west = _walker(1, 0.0, (5.0, 0.2), (-5.0, 0.2), 1.2)
    first = _walker(2, 0.0, (-5.0, 3.0), (5.0, 3.0), 1.0)
    partner = (
        PathBuilder(0.5, (-5.0, 3.0)).walk((5.0, 3.0), 1.3).build(np.random.default_rng(3), 3, "shopper")
    )
    together = Person(3, "shopper", partner.appearance, partner.times_s, partner.path_m, group=7)
    first = Person(2, "shopper", first.appearance, first.times_s, first.path_m, group=7)

    kept = keep_apart([east, west, first, together])

    assert [p.t_end_s for p in kept] == [east.t_end_s, west.t_end_s, first.t_end_s, together.t_end_s]


def test_people_crossing_each_others_way_are_not_held() -> None:
    # Four walkers reach the same crossing at once from four sides: nobody goes the same way.
    people = [
        _walker(0, 0.0, (-3.0, -0.2), (3.0, -0.2), 1.0),
        _walker(1, 0.0, (0.2, -3.0), (0.2, 3.0), 1.0),
        _walker(2, 0.0, (3.0, 0.2), (-3.0, 0.2), 1.0),
        _walker(3, 0.0, (-0.2, 3.0), (-0.2, -3.0), 1.0),
    ]
    assert [p.t_end_s for p in keep_apart(people)] == [p.t_end_s for p in people]


def test_a_circle_of_walkers_waiting_for_each_other_releases_the_first_listed() -> None:
    # 0 waits for 1, 1 for 2, 2 for 0 (a gridlock); 3 waits for 0 and is in no circle.
    waits = np.zeros((4, 4), dtype=bool)
    waits[0, 1] = waits[1, 2] = waits[2, 0] = waits[3, 0] = True
    assert _first_in_each_cycle(waits).tolist() == [True, False, False, False]
    assert not _first_in_each_cycle(np.triu(np.ones((3, 3), dtype=bool), k=1)).any()  # a queue, no circle


def test_busy_shoppers_rarely_come_within_a_head_of_each_other() -> None:
    people = SCENARIOS["busy"].people(1, 0.0, 30.0)
    close = total = 0
    for t in np.arange(0.0, 30.0, 0.5):
        here = np.array([p.positions_m(t)[0] for p in people if p.present(t)])
        distance = np.hypot(*(here[:, None] - here[None]).transpose(2, 0, 1))
        np.fill_diagonal(distance, np.inf)
        close += int(np.count_nonzero(distance.min(axis=1) < 0.3))
        total += len(here)
    # 17 % of shoppers had someone within 0.3 m before walkers held back, about 6.6 % after, and
    # 0.1 % once people also step aside (`make_room`).
    assert close / total < 0.01


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="gap_m"):
        keep_apart([], gap_m=0.0)


def test_busy_shoppers_are_held_up_for_seconds_not_gridlocked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without releasing circles of walkers waiting for each other, 12 % of them wait out the minute."""
    import agent.sim.scenarios as scenarios

    monkeypatch.setattr(scenarios, "keep_apart", lambda people: people)
    planned = SCENARIOS["busy"].people(2, 0.0, 30.0)
    kept = keep_apart(planned)
    waited_s = np.array(
        [(k.t_end_s - k.t_start_s) - (p.t_end_s - p.t_start_s) for p, k in zip(planned, kept, strict=True)]
    )
    assert np.median(waited_s) < 8.0  # about 3 s measured: slowing behind slower walkers
    assert np.mean(waited_s >= 59.9) < 0.05  # hardly anyone waits out the whole minute


def _max_speed_m_s(person: Person, step_s: float = 0.1) -> float:
    t = np.arange(person.t_start_s, person.t_end_s, step_s)
    return float(np.max(np.hypot(*np.diff(person.positions_m(t), axis=0).T)) / step_s)


def test_two_walkers_crossing_at_the_same_spot_step_aside_and_keep_to_their_times() -> None:
    east = _walker(0, 0.0, (-4.0, 0.0), (4.0, 0.0), 1.2)
    north = _walker(1, 0.0, (0.0, -4.0), (0.0, 4.0), 1.2)
    assert _closest_m(east, north) < 0.05  # as planned, they meet in the middle

    moved = make_room([east, north])

    assert _closest_m(moved[0], moved[1]) >= 0.3  # heads a head's width apart, at least
    for before, after in zip([east, north], moved, strict=True):
        assert (after.t_start_s, after.t_end_s) == (before.t_start_s, before.t_end_s)
        assert after.positions_m(after.t_end_s)[0] == pytest.approx(
            before.path_m[-1], abs=0.01
        )  # back on plan
        assert _max_speed_m_s(after) < 2.0  # stepping aside, not jumping: they walk at 1.2 m/s


def test_a_walker_passes_someone_standing_in_the_way_and_the_stander_shifts_less() -> None:
    stander = PathBuilder(0.0, (0.0, 0.05)).stand(10.0).build(np.random.default_rng(4), 4, "shopper")
    walker = _walker(5, 1.0, (-4.0, 0.0), (4.0, 0.0), 1.2)
    assert _closest_m(stander, walker) < 0.1

    moved = make_room([stander, walker])

    assert _closest_m(moved[0], moved[1]) >= 0.3
    t = np.arange(1.0, 7.6, 0.1)  # while both are there
    stander_shift = np.max(np.hypot(*(moved[0].positions_m(t) - stander.positions_m(t)).T))
    walker_shift = np.max(np.hypot(*(moved[1].positions_m(t) - walker.positions_m(t)).T))
    assert 0.0 < stander_shift < walker_shift
    assert moved[0].positions_m(10.0)[0] == pytest.approx((0.0, 0.05), abs=0.01)  # back at the spot


def test_people_who_never_come_close_are_returned_as_they_were() -> None:
    people = [_walker(0, 0.0, (-4.0, -1.0), (4.0, -1.0), 1.2), _walker(1, 0.0, (4.0, 1.0), (-4.0, 1.0), 1.2)]
    assert all(after is before for after, before in zip(make_room(people), people, strict=True))
    with pytest.raises(ValueError, match="clear_m"):
        make_room(people, clear_m=0.0)
