"""The real agent under a pretend systemd: READY after the source and outbox open, WATCHDOG while alive."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.broker import MosquittoBroker

ROOT = Path(__file__).resolve().parents[1]


def _messages(sock: socket.socket, seconds: float) -> list[tuple[float, str]]:
    received = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            received.append((time.monotonic(), sock.recv(4096).decode()))
        except TimeoutError:
            break
    return received


@pytest.mark.slow
@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_ready_then_watchdog_and_silence_when_stopped(
    tmp_path: Path, broker: MosquittoBroker, abstract: bool
) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"@footfall-watchdog-{os.getpid()}-{abstract}" if abstract else str(tmp_path / "notify")
    sock.bind("\0" + name[1:] if abstract else name)
    outbox = tmp_path / "outbox.db"
    env = {**os.environ, "NOTIFY_SOCKET": name, "WATCHDOG_USEC": "600000"}  # ping every 0.3 s
    args = [
        sys.executable,
        "-m",
        "agent.cli",
        "run",
        "--config",
        str(ROOT / "config" / "example.toml"),
        "--set",
        "source.loop=true",
        "--set",
        f"outbox.path='{outbox}'",
        "--set",
        f"mqtt.port={broker.port}",
        "--set",
        "mqtt.host='127.0.0.1'",
        "--duration",
        "30",
    ]
    agent = subprocess.Popen(args, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        sock.settimeout(30)
        first = sock.recv(4096).decode()
        assert first.startswith("READY=1"), first
        assert outbox.exists(), "READY only after the outbox is open"
        alive = [m for _, m in _messages(sock, 2.0) if m.startswith("WATCHDOG=1")]
        assert len(alive) >= 3, "regular WATCHDOG=1 while counting"
        agent.send_signal(signal.SIGSTOP)  # a hung processing loop
        time.sleep(0.5)
        _messages(sock, 0.1)  # drop what was in flight
        assert [m for _, m in _messages(sock, 2.0) if m.startswith("WATCHDOG=1")] == []
        agent.send_signal(signal.SIGCONT)
        assert any(m.startswith("WATCHDOG=1") for _, m in _messages(sock, 3.0))
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(30) == 0
        assert any(m.startswith("STOPPING=1") for _, m in _messages(sock, 1.0))
    finally:
        if agent.poll() is None:
            agent.kill()
        sock.close()
