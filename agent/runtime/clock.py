"""Time on the device: a monotonic clock for durations, the wall clock for bucket starts.

A Raspberry Pi has no RTC: until NTP syncs, its wall clock can be years off.
Durations therefore always come from the monotonic clock; the wall clock is
only read to stamp buckets, with whether it was synchronised.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from datetime import UTC, datetime
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
