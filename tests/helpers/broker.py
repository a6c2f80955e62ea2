"""A real Mosquitto broker, started on a free port from a temporary config."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def mosquitto_binary() -> str:
    """Path of the mosquitto executable (Debian puts it in /usr/sbin, often not on PATH)."""
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise RuntimeError("mosquitto is not installed: run scripts/setup.sh (apt-get install mosquitto)")
    return found


class MosquittoBroker:
    """A private broker: `start`, `stop` and `start` again keep the same port.

    `extra_config` is appended to the generated config. `config_text`, when
    given, replaces the generated config entirely; `{port}` and `{directory}`
    in it are filled in (for testing a shipped config such as deploy/mosquitto).
    `persistent` keeps sessions and queued messages across `stop`/`start`.
    """

    def __init__(
        self,
        directory: Path,
        extra_config: str = "",
        *,
        config_text: str | None = None,
        persistent: bool = False,
    ) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.host = "127.0.0.1"
        self._extra_config = extra_config
        self._config_text = config_text
        self._persistent = persistent
        self._process: subprocess.Popen[bytes] | None = None

    def _render_config(self) -> str:
        if self._config_text is not None:
            return self._config_text.replace("{port}", str(self.port)).replace(
                "{directory}", str(self.directory)
            )
        persistence = "persistence false\n"
        if self._persistent:
            persistence = f"persistence true\npersistence_location {self.directory}/\n"
            if os.geteuid() == 0:
                # Started as root, mosquitto drops to user `mosquitto`, who cannot write
                # into pytest's private folders: its saved sessions would be lost.
                persistence += "user root\n"
        return (
            f"listener {self.port} {self.host}\nallow_anonymous true\n{persistence}"
            f"log_dest file {self.directory / 'mosquitto.log'}\n{self._extra_config}"
        )

    @property
    def running(self) -> bool:
        """Whether the broker process is up."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout_s: float = 10.0) -> None:
        """Start the broker and wait until it accepts connections."""
        config = self.directory / "mosquitto.conf"
        config.write_text(self._render_config(), encoding="utf-8")
        self._process = subprocess.Popen([mosquitto_binary(), "-c", str(config)])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self.directory / "mosquitto.log").read_text(errors="replace")
                raise RuntimeError(f"mosquitto exited with {self._process.returncode}: {log}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on port {self.port} within {timeout_s} s")

    def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after 5 s)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)
        self._process = None
