"""Repeated warnings are limited to one line per window with a count; info lines and new warnings pass."""

from __future__ import annotations

import logging
import subprocess
import sys

from agent.log_limit import RepeatLimiter


class Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def _record(msg: str, level: int = logging.WARNING, *args: object) -> logging.LogRecord:
    return logging.LogRecord("agent.sources.camera", level, __file__, 1, msg, args, None)


def test_a_warning_repeating_every_frame_is_one_line_a_window_with_a_count() -> None:
    clock = Clock()
    limiter = RepeatLimiter(window_s=60.0, clock=clock)
    passed = []
    for frame in range(15 * 120):  # two minutes of a failure at 15 frames per second
        clock.now_s = frame / 15
        record = _record("camera %s: read failed", logging.WARNING, "/dev/video0")
        if limiter.filter(record):
            passed.append(record.getMessage())
    assert passed == [
        "camera /dev/video0: read failed",
        "camera /dev/video0: read failed (899 more like this in the last 60 s)",
    ]


def test_info_lines_and_other_warnings_always_pass() -> None:
    limiter = RepeatLimiter(window_s=60.0, clock=Clock())
    assert all(
        limiter.filter(_record("stored %s report seq=%d", logging.INFO, "counts", n)) for n in range(50)
    )
    assert limiter.filter(_record("camera %s: read failed", logging.WARNING, "/dev/video0"))
    assert limiter.filter(_record("broker %s refused the connection", logging.WARNING, "x"))
    assert limiter.filter(_record("camera %s: read failed", logging.ERROR, "/dev/video0")), "another level"
    assert not limiter.filter(_record("camera %s: read failed", logging.WARNING, "/dev/video1"))


def test_the_cli_limits_its_log_handler() -> None:
    code = (
        "import logging, sys\n"
        "from agent.cli import main\n"
        "main(['config', 'check', '/nonexistent.toml'])\n"
        "for _ in range(100): logging.getLogger('agent.x').warning('again')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stderr.count("agent.x: again") == 1, result.stderr
