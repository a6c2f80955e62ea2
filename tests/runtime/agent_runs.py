"""Run the real agent as a process for runtime tests: a config file, the process, its status payloads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.helpers.broker import MosquittoBroker
from tests.helpers.ready import ReadyWaiter
from tests.helpers.subscriber import Subscriber

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "sim_videos" / "doorway.avi"

# The example config's counting, for the 320 x 240 doorway clip (2 cm per pixel).
_COUNTING = """
[detector]
type = "background"

[calibration]
type = "scale"
metres_per_pixel = 0.02
origin_px = [0.0, 240.0]

[[lines]]
name = "door"
start = [0.6, 2.4]
end = [5.2, 2.4]

[[zones]]
name = "entrance"
polygon = [[0.6, 2.4], [5.2, 2.4], [5.2, 4.6], [0.6, 4.6]]
"""


def write_config(folder: Path, source: str, broker: MosquittoBroker, extra: str = "") -> Path:
    """A device config in `folder` with `source` as its [source] table body; the outbox in `folder`/state."""
    config = folder / "footfall.toml"
    config.write_text(
        f'[device]\nsite = "test-site"\nid = "cam-1"\n\n[source]\n{source}\n{_COUNTING}\n'
        f"[aggregation]\nbucket_s = 5\n\n"
        f'[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\nstatus_interval_s = 5\n\n'
        f"[outbox]\npath = '{folder / 'state' / 'outbox.db'}'\n\n{extra}",
        encoding="utf-8",
    )
    return config


class AgentProcess:
    """`footfall run` as a real process; stderr goes to a file (so a chatty agent never blocks on a pipe).

    `argv` replaces the default `python -m agent.cli` (e.g. a driver that injects a fault).
    """

    def __init__(self, config: Path, duration_s: float, ready: ReadyWaiter, argv: list[str] | None = None):
        self.log_path = config.with_suffix(".log")
        self._log = self.log_path.open("w")
        command = argv or [sys.executable, "-m", "agent.cli"]
        self.process = subprocess.Popen(
            [*command, "run", "--config", str(config), "--duration", str(duration_s)],
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **ready.env()},
        )

    def stop(self, timeout_s: float = 60.0) -> int:
        """SIGTERM, then the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout_s)

    def wait(self, timeout_s: float = 60.0) -> int:
        """The exit code once it ends (killed after `timeout_s`)."""
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        finally:
            self._log.close()

    @property
    def log(self) -> str:
        """Everything it printed so far."""
        return self.log_path.read_text(errors="replace")


def wait_status(
    subscriber: Subscriber, condition: Callable[[dict[str, Any]], bool], timeout_s: float = 30.0
) -> dict[str, Any]:
    """The first status payload meeting `condition`, waiting up to `timeout_s`.

    Raises:
        AssertionError: none came in time (the message lists the statuses seen).
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for status in subscriber.of_kind("status"):
            if condition(status):
                return status
        time.sleep(0.1)
    raise AssertionError(f"no such status within {timeout_s} s; seen: {subscriber.of_kind('status')}")


def run_to_final_status(
    config: Path,
    duration_s: float,
    broker: MosquittoBroker,
    *,
    wait_s: float = 60.0,
    argv: list[str] | None = None,
) -> tuple[int, dict[str, Any], str]:
    """Run the agent on `config` until it ends; its exit code, its last (`offline`) status with health, its log."""
    subscriber = Subscriber(broker.host, broker.port)
    ready = ReadyWaiter(config.parent / "notify")
    agent = AgentProcess(config, duration_s, ready, argv=argv)
    try:
        code = agent.wait(wait_s)
        final = wait_status(subscriber, lambda s: s["state"] == "offline" and s.get("frames") is not None)
    finally:
        subscriber.close()
        ready.close()
    return code, final, agent.log
