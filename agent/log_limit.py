"""Rate limit for repeated warnings and errors, so a failure that repeats every frame cannot flood journald.

Only WARNING and above are limited: an INFO line is an event of its own
(a report stored, a clock synchronised). A warning is "the same" as an earlier one when it comes from the same
logger, at the same level, from the same format string (`record.msg`,
before its arguments are filled in): "camera /dev/video0: read failed" every
frame is one event repeating, not news. The first such line passes; more
within `window_s` seconds are dropped and counted, and the next one let
through after the window says how many were dropped. A bounded table of
keys (the oldest forgotten first) keeps memory constant. Written by hand
because the standard library has no rate-limiting filter and the rule is
ten lines; no log line ever holds frame data, only text.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

_MAX_KEYS = 256


class RepeatLimiter(logging.Filter):
    """Lets one warning or error per (logger, level, format string) through every `window_s` seconds."""

    def __init__(self, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._window_s = window_s
        self._clock = clock
        self._seen: OrderedDict[tuple[str, int, str], tuple[float, int]] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        """True to emit `record` (with a count of the lines dropped since the last one), False to drop it."""
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        last = self._seen.get(key)
        if last is not None and now - last[0] < self._window_s:
            self._seen[key] = (last[0], last[1] + 1)
            return False
        dropped, since_s = (last[1], now - last[0]) if last is not None else (0, 0.0)
        self._seen[key] = (now, 0)
        self._seen.move_to_end(key)
        while len(self._seen) > _MAX_KEYS:
            self._seen.popitem(last=False)
        if dropped:
            record.msg = f"{record.msg} ({dropped} more like this in the last {since_s:.0f} s)"
        return True


def limit_repeats(handler: logging.Handler, window_s: float = 60.0) -> None:
    """Attach a `RepeatLimiter` to `handler` (each handler gets its own)."""
    handler.addFilter(RepeatLimiter(window_s))
