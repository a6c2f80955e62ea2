"""systemd's notify protocol (sd_notify), written with the standard `socket` module.

`READY=1` tells systemd the service is up (Type=notify), `WATCHDOG=1` that
the processing loop is alive (WatchdogSec=), `STATUS=` a one-line summary for
`systemctl status`. Without `$NOTIFY_SOCKET` (not under systemd) every call
does nothing. Written by hand because the protocol is one datagram and the
libraries for it (python-systemd, sdnotify) would add a dependency for ten lines.
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)


class SystemdNotifier:
    """Sends notify datagrams to `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace)."""

    def __init__(self, socket_path: str | None = None) -> None:
        path = socket_path if socket_path is not None else os.environ.get("NOTIFY_SOCKET")
        self._address: str | bytes | None = None
        if path:
            self._address = "\0" + path[1:] if path.startswith("@") else path
        watchdog_usec = os.environ.get("WATCHDOG_USEC")
        # Ping at half the watchdog period, as sd_watchdog_enabled(3) advises.
        self.watchdog_interval_s = (
            int(watchdog_usec) / 2e6 if watchdog_usec and watchdog_usec.isdigit() else None
        )
        self._last_ping_s = 0.0

    @property
    def enabled(self) -> bool:
        """Whether a notify socket is configured."""
        return self._address is not None

    def notify(self, message: str) -> bool:
        """Send one datagram (e.g. "READY=1"); False (and a log line) if it could not be sent."""
        if self._address is None:
            return False
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            try:
                # Never block the counting loop on a reader that has stopped reading.
                sock.sendto(message.encode("utf-8"), socket.MSG_DONTWAIT, self._address)
            except BlockingIOError:
                log.debug(
                    "systemd notify socket %r is full; %s dropped", self._address, message.split("\n")[0]
                )
                return False
            except OSError as exc:
                log.warning("systemd notify socket %r: %s", self._address, exc)
                return False
        return True

    def ready(self, status: str) -> None:
        """The service is up: source, model and outbox are open."""
        self.notify(f"READY=1\nSTATUS={status}")

    def watchdog(self, status: str | None = None) -> None:
        """Tell the watchdog the loop is alive, at half its period; nothing when no watchdog is set."""
        now = time.monotonic()
        interval = self.watchdog_interval_s
        if interval is None or now - self._last_ping_s < interval:
            return
        self._last_ping_s = now
        self.notify("WATCHDOG=1" + (f"\nSTATUS={status}" if status else ""))

    def stopping(self) -> None:
        """The service is shutting down."""
        self.notify("STOPPING=1")
