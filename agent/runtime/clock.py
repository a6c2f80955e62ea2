"""Time on the device: a monotonic clock for durations, the wall clock for bucket starts.

A Raspberry Pi has no RTC: until NTP syncs, its wall clock can be years off.
Durations therefore always come from the monotonic clock; the wall clock is
only read to stamp buckets, with whether it was synchronised.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

# adjtimex(2) returns TIME_ERROR (5) while the kernel considers the clock unsynchronised.
_TIME_ERROR = 5


class Clock(Protocol):
    """What the agent needs to know about time; tests inject their own."""

    def monotonic_s(self) -> float:
        """Seconds on a clock that never jumps."""
        ...

    def wall(self) -> datetime:
        """The wall clock now, timezone-aware UTC."""
        ...

    def is_synced(self) -> bool:
        """Whether the wall clock is synchronised (NTP)."""
        ...


class _Timex(ctypes.Structure):
    # struct timex is 208 bytes on 64-bit Linux; only the return value is used.
    _fields_ = [("modes", ctypes.c_uint), ("rest", ctypes.c_byte * 204)]


class SystemClock:
    """The machine's clocks; sync state from the kernel's adjtimex(2) status."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("c")
        self._libc = ctypes.CDLL(name, use_errno=True) if name else None

    def monotonic_s(self) -> float:
        """`time.monotonic()`."""
        return time.monotonic()

    def wall(self) -> datetime:
        """UTC now."""
        return datetime.now(UTC)

    def is_synced(self) -> bool:
        """False while the kernel reports TIME_ERROR (never synced, or sync lost)."""
        if self._libc is None:
            return False
        timex = _Timex()
        state = int(self._libc.adjtimex(ctypes.byref(timex)))
        return state not in (-1, _TIME_ERROR)


class ManualClock:
    """A clock moved by hand, for tests and simulations: steps, syncs, no sleeping.

    `advance` moves both clocks; `step_wall` moves only the wall clock (what NTP
    or an operator does); `sync` sets the wall clock and marks it synchronised.
    Thread-safe enough for one writer and many readers (plain attribute swaps).
    """

    def __init__(self, wall: datetime, *, synced: bool = False, monotonic_s: float = 0.0) -> None:
        if wall.tzinfo is None:
            raise ValueError(f"wall is {wall.isoformat()}, should be timezone-aware")
        self._wall = wall
        self._synced = synced
        self._monotonic_s = monotonic_s

    def monotonic_s(self) -> float:
        """The hand-moved monotonic time, seconds."""
        return self._monotonic_s

    def wall(self) -> datetime:
        """The hand-moved wall time."""
        return self._wall

    def is_synced(self) -> bool:
        """Whether `sync` was called (or the clock was made synced)."""
        return self._synced

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass on both clocks.

        Raises:
            ValueError: `seconds` is negative (time never runs backwards).
        """
        if seconds < 0:
            raise ValueError(f"seconds is {seconds}, should be >= 0")
        self._monotonic_s += seconds
        self._wall += timedelta(seconds=seconds)

    def step_wall(self, seconds: float) -> None:
        """Step only the wall clock, forward or back, by `seconds`."""
        self._wall += timedelta(seconds=seconds)

    def sync(self, wall: datetime) -> None:
        """NTP arrives: the wall clock jumps to `wall` and is synchronised from now on."""
        self._wall = wall
        self._synced = True
