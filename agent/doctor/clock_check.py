"""Doctor check of the wall clock: is it synchronised (NTP)?"""

from __future__ import annotations

from agent.doctor.result import CheckResult
from agent.runtime.clock import Clock, SystemClock


def check_clock(clock: Clock | None = None) -> CheckResult:
    """Whether the kernel considers the wall clock synchronised (see `SystemClock.is_synced`).

    An unsynchronised clock is a warning, not a failure: the agent holds and
    re-stamps its reports until NTP syncs, and marks them unsynchronised otherwise.
    """
    clock = clock or SystemClock()
    now = clock.wall().isoformat(timespec="seconds")
    if clock.is_synced():
        return CheckResult("clock", "ok", f"synchronised, now {now}")
    return CheckResult(
        "clock",
        "warn",
        f"not synchronised (now {now} by this clock): reports are held, then marked unsynchronised",
        "enable NTP: `timedatectl set-ntp true`, check `timedatectl timesync-status`; the device "
        "needs to reach an NTP server (UDP port 123)",
    )
