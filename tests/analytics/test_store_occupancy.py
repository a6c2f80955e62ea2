"""Store occupancy from in minus out."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from agent.analytics.store_occupancy import StoreOccupancy
from agent.types import LineCrossing

T0 = datetime(2026, 11, 30, 17, 58, tzinfo=UTC)


def crossing(direction: str, line: str = "door") -> LineCrossing:
    return LineCrossing(line, direction, 0.0)  # type: ignore[arg-type]


def test_in_minus_out_never_negative_and_other_lines_ignored() -> None:
    store = StoreOccupancy({"door"})
    assert store.update(0, T0, [crossing("in"), crossing("in"), crossing("in", "aisle")], None) == 2
    assert store.update(1, T0, [crossing("out")] * 3, None) == 0
    assert store.corrections == 1


def test_reset_at_closing_time() -> None:
    store = StoreOccupancy({"door"}, closing_time=time(18, 0))
    store.update(0, T0, [crossing("in")] * 4, None)
    assert store.update(60, T0 + timedelta(minutes=1), [], None) == 4
    assert store.update(120, T0 + timedelta(minutes=2), [], None) == 0
    assert store.corrections == 4


def test_reset_after_nobody_seen_for_a_while() -> None:
    store = StoreOccupancy({"door"}, empty_reset_s=300)
    store.update(0, T0, [crossing("in")] * 2, 2)
    store.update(10, T0, [], 0)
    assert store.update(200, T0, [], 0) == 2
    assert store.update(311, T0, [], 0) == 0


def test_bad_reset_is_refused() -> None:
    with pytest.raises(ValueError, match="empty_reset_s is 0"):
        StoreOccupancy({"door"}, empty_reset_s=0)
