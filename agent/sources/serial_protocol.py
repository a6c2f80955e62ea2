"""The footfall serial line protocol: depth frames, counter events and presence.

One message per line, ASCII, so a microcontroller can write it with printf
and a person can read it with a terminal. The full specification, for
firmware authors, is in `docs/serial-protocol.md`. In short::

    $TOF,<seq>,<rows>,<cols>,<d_1>,...,<d_rows*cols>*<crc>\\r\\n
    $CNT,<seq>,IN*<crc>\\r\\n          (or OUT)
    $PIR,<seq>,1*<crc>\\r\\n           (1 = motion/presence, 0 = none)

`seq` is 0..65535 and wraps; distances are millimetres, row-major, 0 means
"no valid return"; `crc` is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of
the bytes between `$` and `*`, as four upper-case hex digits.

Written by hand because no library parses this protocol; the CRC comes from
the standard library (`binascii.crc_hqx`).
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from agent.errors import FootfallError

START = b"$"
CHECKSUM_MARK = b"*"
MAX_LINE_BYTES = 2048  # a 16x16 frame of 5-digit distances fits with room to spare
MAX_DISTANCE_MM = 65_535
_ALLOWED_SHAPES = {(4, 4), (8, 8), (1, 2), (2, 2), (16, 16)}
_PRINTABLE = bytes(range(32, 127))


class SerialProtocolError(FootfallError):
    """A line that is not a valid message; says which byte or field and what was expected."""


@dataclass(frozen=True, eq=False)
class DepthFrame:
    """One multizone time-of-flight frame: distances in millimetres, 0 = no valid return."""

    seq: int
    distances_mm: npt.NDArray[np.uint16] = field(repr=False)

    @property
    def rows(self) -> int:
        """Zone rows."""
        return int(self.distances_mm.shape[0])

    @property
    def cols(self) -> int:
        """Zone columns."""
        return int(self.distances_mm.shape[1])


@dataclass(frozen=True)
class CounterEvent:
    """A device that counts by itself saw one person pass in `direction`."""

    seq: int
    direction: Literal["in", "out"]


@dataclass(frozen=True)
class PresenceEvent:
    """A presence (PIR) sensor changed state: `present` is True while it senses someone."""

    seq: int
    present: bool


Message = DepthFrame | CounterEvent | PresenceEvent


def crc16(payload: bytes) -> int:
    """CRC-16/CCITT-FALSE of `payload` (poly 0x1021, init 0xFFFF, no reflection, no final xor)."""
    return binascii.crc_hqx(payload, 0xFFFF)


def _frame_line(body: str) -> bytes:
    raw = body.encode("ascii")
    return START + raw + CHECKSUM_MARK + f"{crc16(raw):04X}".encode("ascii") + b"\r\n"


def encode(message: Message) -> bytes:
    """The line for `message`, with checksum and CRLF (what a device sends)."""
    if isinstance(message, DepthFrame):
        values = ",".join(str(int(v)) for v in message.distances_mm.ravel())
        return _frame_line(f"TOF,{message.seq},{message.rows},{message.cols},{values}")
    if isinstance(message, CounterEvent):
        return _frame_line(f"CNT,{message.seq},{message.direction.upper()}")
    return _frame_line(f"PIR,{message.seq},{1 if message.present else 0}")


def _int_field(fields: list[bytes], index: int, name: str, low: int, high: int) -> int:
    text = fields[index]
    if not text.isdigit() or len(text) > 6:
        raise SerialProtocolError(f"field {index} ({name}): expected a decimal integer, got {text[:12]!r}")
    value = int(text)
    if not low <= value <= high:
        raise SerialProtocolError(f"field {index} ({name}): expected {low}..{high}, got {value}")
    return value


def parse_line(line: bytes) -> Message:
    """Parse one line (with or without the trailing CR/LF).

    Raises:
        SerialProtocolError: naming the byte or field that is wrong and what was expected.
    """
    line = line.rstrip(b"\r\n")
    if len(line) > MAX_LINE_BYTES:
        raise SerialProtocolError(f"line of {len(line)} bytes, expected at most {MAX_LINE_BYTES}")
    if not line.startswith(START):
        raise SerialProtocolError(f"byte 0: expected '$', got {line[:1]!r}")
    star = line.rfind(CHECKSUM_MARK)
    if star < 0 or len(line) - star - 1 != 4:
        raise SerialProtocolError("expected '*' and four hex digits of CRC at the end of the line")
    body, crc_text = line[1:star], line[star + 1 :]
    try:
        crc_sent = int(crc_text, 16)
    except ValueError:
        raise SerialProtocolError(
            f"byte {star + 1}: expected four hex digits of CRC, got {crc_text!r}"
        ) from None
    if body.translate(None, _PRINTABLE):  # a byte is left over: not printable ASCII
        offset = next(i for i, b in enumerate(body) if not 32 <= b < 127) + 1
        raise SerialProtocolError(
            f"byte {offset}: expected printable ASCII, got {line[offset : offset + 1]!r}"
        )
    crc_actual = crc16(body)
    if crc_actual != crc_sent:
        raise SerialProtocolError(f"CRC mismatch: line says {crc_sent:04X}, content gives {crc_actual:04X}")
    fields = body.split(b",")
    kind = fields[0]
    if kind == b"TOF":
        return _parse_depth(fields)
    if kind in (b"CNT", b"PIR"):
        if len(fields) != 3:
            raise SerialProtocolError(f"{kind.decode()}: expected 3 fields, got {len(fields)}")
        seq = _int_field(fields, 1, "seq", 0, 65_535)
        if kind == b"CNT":
            if fields[2] not in (b"IN", b"OUT"):
                raise SerialProtocolError(f"field 2 (direction): expected IN or OUT, got {fields[2][:12]!r}")
            return CounterEvent(seq, "in" if fields[2] == b"IN" else "out")
        if fields[2] not in (b"0", b"1"):
            raise SerialProtocolError(f"field 2 (presence): expected 0 or 1, got {fields[2][:12]!r}")
        return PresenceEvent(seq, fields[2] == b"1")
    raise SerialProtocolError(f"field 0 (kind): expected TOF, CNT or PIR, got {kind[:12]!r}")


def _parse_depth(fields: list[bytes]) -> DepthFrame:
    if len(fields) < 5:
        raise SerialProtocolError(f"TOF: expected at least 5 fields, got {len(fields)}")
    seq = _int_field(fields, 1, "seq", 0, 65_535)
    rows = _int_field(fields, 2, "rows", 1, 16)
    cols = _int_field(fields, 3, "cols", 1, 16)
    if (rows, cols) not in _ALLOWED_SHAPES:
        raise SerialProtocolError(f"TOF: unsupported zone layout {rows}x{cols}, expected 4x4, 8x8 or 16x16")
    values = fields[4:]
    if len(values) != rows * cols:
        raise SerialProtocolError(f"TOF: {rows}x{cols} needs {rows * cols} distances, got {len(values)}")
    lengths = [len(value) for value in values]
    if b"".join(values).isdigit() and min(lengths) >= 1 and max(lengths) <= 5:
        # Every field is 1-5 digits, so at most 99,999: only the upper bound needs checking.
        distances = np.array(list(map(int, values)), dtype=np.int64)
        if distances.max() <= MAX_DISTANCE_MM:
            return DepthFrame(seq, distances.astype(np.uint16).reshape(rows, cols))
    # Something is wrong: find the first bad field and name it.
    checked = [_int_field(fields, 4 + i, f"distance {i}", 0, MAX_DISTANCE_MM) for i in range(len(values))]
    return DepthFrame(seq, np.array(checked, dtype=np.uint16).reshape(rows, cols))


@dataclass
class LineFramer:
    """Splits a byte stream into lines with a bounded buffer, resynchronising on `$`.

    Bytes before a `$` are skipped; a line longer than `MAX_LINE_BYTES` without
    a newline is dropped. Every dropped or invalid line is counted in
    `bad_lines` (with the last reason in `last_error`), so after garbage the
    next complete valid line is parsed again.
    """

    bad_lines: int = 0
    skipped_bytes: int = 0
    good_lines: int = 0
    last_error: str = ""
    _buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[Message]:
        """Add received bytes; return the messages completed by them, in order."""
        messages: list[Message] = []
        self._buffer += data
        while True:
            start = self._buffer.find(START)
            if start < 0:
                self.skipped_bytes += len(self._buffer)
                self._buffer.clear()
                return messages
            if start:
                self.skipped_bytes += start
                del self._buffer[:start]
            end = self._buffer.find(b"\n")
            # A new '$' before the newline means the previous line was cut short.
            restart = self._buffer.find(START, 1, end if end >= 0 else len(self._buffer))
            if restart > 0:
                self._reject(f"line cut short after {restart} bytes (a new '$' arrived before its end)")
                del self._buffer[:restart]
                continue
            if end < 0:
                if len(self._buffer) > MAX_LINE_BYTES:
                    self._reject(f"no line end within {MAX_LINE_BYTES} bytes")
                    self._buffer.clear()
                return messages
            line = bytes(self._buffer[: end + 1])
            del self._buffer[: end + 1]
            try:
                messages.append(parse_line(line))
                self.good_lines += 1
            except SerialProtocolError as error:
                self._reject(str(error))

    def _reject(self, reason: str) -> None:
        self.bad_lines += 1
        self.last_error = reason
