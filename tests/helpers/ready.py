"""Wait for a real agent to be ready, as systemd does: a notify socket and its READY=1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


class ReadyWaiter:
    """A datagram socket at `path` for the agent's `NOTIFY_SOCKET`; `wait` blocks until READY=1."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))

    def env(self) -> dict[str, str]:
        """What to add to the agent's environment."""
        return {"NOTIFY_SOCKET": str(self.path)}

    def wait(self, timeout_s: float = 60.0) -> None:
        """Until the agent says READY=1 (its source and outbox are open).

        Raises:
            TimeoutError: the agent did not get ready in time.
        """
        self._sock.settimeout(timeout_s)
        while not self._sock.recv(4096).startswith(b"READY=1"):
            pass

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()


def start_agent(config: Path, duration_s: float, ready: ReadyWaiter, cwd: Path) -> subprocess.Popen[str]:
    """`footfall run --config CONFIG --duration S` as a real process, its log on a pipe, reporting to `ready`."""
    return subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "run", "--config", str(config), "--duration", str(duration_s)],
        cwd=cwd,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **ready.env()},
    )
