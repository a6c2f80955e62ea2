"""Real `footfall run` processes for the delivery tests: start, kill, read what they stored."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agent.geometry.shapes import FloorLine
from agent.sim.walkers import ClipSpec, Walker, render_clip

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "example.toml"
STORED = re.compile(r"stored counts report seq=(\d+)")


def render_short_clip(path: Path, duration_s: float = 6.0) -> Path:
    """A 10 fps clip (6 s by default) with two people crossing the door line; looped by the tests."""
    line = FloorLine("door", (0.6, 2.4), (5.2, 2.4), "left")
    walkers = (Walker((1.0, 0.2), (1.2, 4.6), 0.3, 1.5), Walker((3.5, 4.6), (3.7, 0.2), 1.5, 1.5))
    render_clip(ClipSpec(160, 120, 0.04, 10.0, duration_s, line, walkers), path)
    return path


def agent_args(
    clip: Path, outbox: Path, port: int, *overrides: str, duration_s: float | None = None
) -> list[str]:
    """The command line of an agent counting `clip` in a loop, as fast as it can, into `outbox`."""
    settings = [
        f"source.path='{clip}'",
        "source.realtime=false",
        "source.loop=true",
        f"outbox.path='{outbox}'",
        f"mqtt.port={port}",
        "mqtt.host='127.0.0.1'",
        "mqtt.keepalive_s=5",
        "aggregation.bucket_s=1",
        "outbox.hold_unsynced_s=0",
        "zones=[]",  # counts only: these tests follow one report per bucket
        *overrides,
    ]
    args = [sys.executable, "-m", "agent.cli", "run", "--config", str(EXAMPLE)]
    for setting in settings:
        args += ["--set", setting]
    if duration_s is not None:
        args += ["--duration", str(duration_s)]
    return args


def closed_port() -> int:
    """A local port nobody listens on: an agent pointed at it keeps its reports, as without a broker."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_agent(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start an agent with stderr (its log) appended to `log`."""
    with open(log, "ab") as err:
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, env={**os.environ}, cwd=ROOT)


def stop_agent(agent: subprocess.Popen[bytes], log: Path, timeout_s: float) -> int:
    """SIGTERM the agent and return its exit code once it has stopped.

    Raises:
        AssertionError: it did not stop within `timeout_s`; the message holds the end of its log,
            with every thread's stack (SIGUSR1) so that a hang says where it waits.
    """
    agent.send_signal(signal.SIGTERM)
    try:
        return agent.wait(timeout_s)
    except subprocess.TimeoutExpired:
        agent.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
        agent.kill()
        agent.wait(10)
        raise AssertionError(
            f"the agent did not stop within {timeout_s:g} s of SIGTERM:\n{log.read_text()[-6000:]}"
        ) from None


def wait_for_log(log: Path, pattern: str, timeout_s: float, after: int = 0) -> bool:
    """Wait until `pattern` occurs in `log` past byte `after`; True if it did within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if log.exists() and pattern in log.read_text(errors="replace")[after:]:
            return True
        time.sleep(0.02)
    return False


def stored_seqs(log: Path) -> list[int]:
    """Every `seq` the agent logged as stored."""
    return [int(m) for m in STORED.findall(log.read_text(errors="replace"))]


def outbox_rows(path: Path) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """(pending payloads, counters) read straight from the database file."""
    with sqlite3.connect(path) as db:
        payloads = [json.loads(row[0]) for row in db.execute("SELECT payload FROM reports ORDER BY seq")]
        counters = {name: int(value) for name, value in db.execute("SELECT name, value FROM counters")}
    return payloads, counters


def integrity(path: Path) -> str:
    """`PRAGMA integrity_check` of the database (opening it replays the WAL, as the agent would)."""
    with sqlite3.connect(path) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def key(report: dict[str, Any]) -> tuple[str, str, str]:
    """The idempotence key a subscriber stores on."""
    return (report["device"], report["kind"], report["bucket_start"])


def dedupe(reports: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Reports by key; a key seen twice must carry the very same report (else the test fails)."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for report in reports:
        previous = found.setdefault(key(report), report)
        assert previous == report, f"two different reports under one key: {previous} / {report}"
    return found
