"""What one doctor check found, and running a check with a deadline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    `detail` says what was found (file, key, device, figures); `fix` is what an
    installer should do about a `fail` or `warn`: the config key to change or
    the command to run. `duration_s` is how long the check took, seconds.
    """

    check: str
    status: Status
    detail: str
    fix: str = ""
    duration_s: float = 0.0

    @property
    def failed(self) -> bool:
        """Whether this check makes `footfall doctor` exit non-zero."""
        return self.status == "fail"


def run_with_deadline(name: str, check: Callable[[], CheckResult], timeout_s: float) -> CheckResult:
    """Run `check` in a daemon thread and give up after `timeout_s` seconds.

    Every check has its own timeouts (sockets, serial reads); this is the
    backstop for a call that has none (a camera driver stuck in `read`), so a
    dead device can never hang the doctor. A check that raises is a `fail`
    naming the exception: the doctor reports, it never crashes.
    """
    outcome: list[CheckResult] = []
    started = time.monotonic()

    def target() -> None:
        try:
            outcome.append(check())
        except Exception as exc:  # the doctor must report every surprise as a failed check
            outcome.append(CheckResult(name, "fail", f"unexpected {type(exc).__name__}: {exc}"))

    thread = threading.Thread(target=target, name=f"doctor-{name}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    elapsed_s = time.monotonic() - started
    if not outcome:
        return CheckResult(
            name,
            "fail",
            f"no answer within {timeout_s:g} s",
            "the device or service behind this check hangs; rerun with a larger --timeout to see "
            "whether it is only slow",
            elapsed_s,
        )
    result = outcome[0]
    return CheckResult(result.check, result.status, result.detail, result.fix, elapsed_s)
