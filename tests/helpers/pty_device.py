"""A pretend serial device on a real pseudo-terminal, reachable through a stable symlink.

The symlink plays the part of a udev by-id name: "unplugging" closes the
pseudo-terminal (the agent's reads fail), "plugging in" opens a new one and
points the symlink at it, as udev does when a USB device comes back.
"""

from __future__ import annotations

import os
import termios
import tty
from pathlib import Path


class PtyDevice:
    """The device side of a pseudo-terminal; `path` is what the agent opens."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._master: int | None = None
        self._slave: int | None = None
        self.plug_in()

    def plug_in(self) -> None:
        """Open a new pseudo-terminal and point `path` at it."""
        master, slave = os.openpty()
        tty.setraw(slave)
        attributes = termios.tcgetattr(slave)
        attributes[3] &= ~termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
        self._master, self._slave = master, slave
        temporary = self.path.with_suffix(".new")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(os.ttyname(slave))
        temporary.replace(self.path)

    def unplug(self) -> None:
        """Close both ends and remove the symlink: reads on the agent's side now fail."""
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None
        self.path.unlink(missing_ok=True)

    def send(self, data: bytes) -> None:
        """Write bytes as the device would."""
        assert self._master is not None, "device is unplugged"
        view = memoryview(data)
        while view:
            written = os.write(self._master, view)
            view = view[written:]

    def close(self) -> None:
        """Unplug for good."""
        self.unplug()
