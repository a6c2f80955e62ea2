"""A serial sensor on pyserial: messages in, with reopen on unplug and a baud-rate diagnosis.

The port is anything `serial.serial_for_url` opens: a device path
(`/dev/ttyACM0`, a udev by-id symlink), `loop://`, `socket://host:port` or
`rfc2217://host:port`. A device missing at start is an error naming the port;
a device that disappears later (USB unplug) is reopened with capped
exponential back-off while the agent keeps running.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import serial

from agent.errors import SourceError
from agent.sources.serial_protocol import LineFramer, Message

log = logging.getLogger(__name__)

_READ_TIMEOUT_S = 0.1
_BACKOFF_START_S = 0.2
_BACKOFF_MAX_S = 5.0
# Bytes without a single valid line after which the link is diagnosed.
_DIAGNOSIS_BYTES = 4096


@dataclass
class SerialHealth:
    """Counters for the status payload: what the link has seen since start."""

    good_lines: int = 0
    bad_lines: int = 0
    reopens: int = 0
    connected: bool = False
    last_error: str = ""
    diagnosis: str = ""


def diagnose_garbage(data: bytes, baudrate: int) -> str:
    """A human diagnosis of bytes that gave no valid line: wrong baud rate, or wrong device."""
    if not data:
        return "no bytes received"
    printable = sum(32 <= b < 127 or b in (10, 13) for b in data) / len(data)
    if printable < 0.7:
        return (
            f"{len(data)} bytes received but only {printable:.0%} printable: the baud rate is probably "
            f"wrong (configured {baudrate}); footfall devices send ASCII lines"
        )
    return (
        f"{len(data)} printable bytes received but no valid '$TOF', '$CNT' or '$PIR' line: "
        "is this a footfall sensor? See docs/serial-protocol.md"
    )


class SerialMessageSource:
    """Yields protocol messages from a serial port until `stop` is set.

    Raises:
        SourceError: the port cannot be opened at start (names the port and why).
    """

    def __init__(self, url: str, baudrate: int, stop: threading.Event) -> None:
        self.url = url
        self.baudrate = baudrate
        self._stop = stop
        self.health = SerialHealth()
        self._framer = LineFramer()
        self._port = self._open()
        self.health.connected = True

    def _open(self) -> serial.SerialBase:
        try:
            return serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=_READ_TIMEOUT_S)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise SourceError(f"serial port {self.url}: cannot open: {exc}") from None

    def messages(self) -> Iterator[Message | None]:
        """Messages in arrival order; reopens the port when it disappears.

        Yields None after a read that completed no message (about every 0.1 s
        while the line is quiet), so a consumer can close time buckets on time.
        """
        unparsed = bytearray()
        diagnosed = False
        while not self._stop.is_set():
            try:
                data = self._port.read(4096)
            except (serial.SerialException, OSError) as exc:
                self._reconnect(str(exc))
                continue
            if not data:
                yield None
                continue
            before = self._framer.good_lines
            completed = self._framer.feed(data)
            if not completed:
                yield None
            yield from completed
            self.health.good_lines = self._framer.good_lines
            self.health.bad_lines = self._framer.bad_lines
            if self._framer.bad_lines:
                self.health.last_error = self._framer.last_error
            if self._framer.good_lines > before:
                unparsed.clear()
                diagnosed = False
                self.health.diagnosis = ""
            elif not diagnosed:
                unparsed += data
                if len(unparsed) >= _DIAGNOSIS_BYTES:
                    diagnosed = True
                    self.health.diagnosis = diagnose_garbage(bytes(unparsed), self.baudrate)
                    log.error("serial port %s: %s", self.url, self.health.diagnosis)

    def _reconnect(self, reason: str) -> None:
        """Close the lost port and reopen it with back-off until it returns or stop is set."""
        log.warning("serial port %s lost (%s); reopening", self.url, reason)
        self.health.connected = False
        self.health.last_error = f"port lost: {reason}"
        self._close_port()
        backoff_s = _BACKOFF_START_S
        while not self._stop.wait(backoff_s):
            try:
                self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=_READ_TIMEOUT_S)
            except (serial.SerialException, OSError, ValueError) as exc:
                log.debug("serial port %s still missing: %s", self.url, exc)
                backoff_s = min(_BACKOFF_MAX_S, backoff_s * 2)
                continue
            self.health.reopens += 1
            self.health.connected = True
            log.info("serial port %s reopened", self.url)
            return

    def _close_port(self) -> None:
        with contextlib.suppress(serial.SerialException, OSError):  # the device may already be gone
            self._port.close()

    def close(self) -> None:
        """Close the port."""
        self._close_port()
