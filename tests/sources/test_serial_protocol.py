"""The serial line protocol: round trips, named errors, resynchronisation and a fuzz test."""

from __future__ import annotations

import contextlib
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.sources.serial_protocol import (
    MAX_LINE_BYTES,
    CounterEvent,
    DepthFrame,
    LineFramer,
    PresenceEvent,
    SerialProtocolError,
    crc16,
    encode,
    parse_line,
)


def depth(seq: int = 7, rows: int = 8, cols: int = 8, value: int = 2500) -> DepthFrame:
    values = np.full((rows, cols), value, dtype=np.uint16)
    values[0, 0] = 0  # an invalid zone
    return DepthFrame(seq, values)


def test_crc_is_ccitt_false() -> None:
    assert crc16(b"123456789") == 0x29B1  # the standard check value


@pytest.mark.parametrize(
    "message",
    [
        depth(),
        depth(rows=4, cols=4),
        depth(seq=65535, value=65535),
        CounterEvent(1, "in"),
        CounterEvent(2, "out"),
        PresenceEvent(3, True),
        PresenceEvent(4, False),
    ],
    ids=str,
)
def test_round_trip(message) -> None:
    parsed = parse_line(encode(message))
    if isinstance(message, DepthFrame):
        assert isinstance(parsed, DepthFrame) and parsed.seq == message.seq
        assert np.array_equal(parsed.distances_mm, message.distances_mm)
    else:
        assert parsed == message


def _body(line: bytes) -> bytes:
    return line[1 : line.rindex(b"*")]


def _with_crc(body: bytes) -> bytes:
    return b"$" + body + b"*" + f"{crc16(body):04X}".encode() + b"\r\n"


@pytest.mark.parametrize(
    "line,message",
    [
        (b"TOF,1,8,8,1*0000", "byte 0: expected '$'"),
        (b"$CNT,1,IN", "expected '*' and four hex digits"),
        (b"$CNT,1,IN*ZZZZ", "expected four hex digits of CRC, got b'ZZZZ'"),
        (encode(CounterEvent(1, "in")).replace(b"IN", b"IM"), "CRC mismatch"),
        (_with_crc(b"CNT,1,UP"), "field 2 (direction): expected IN or OUT, got b'UP'"),
        (_with_crc(b"PIR,1,2"), "field 2 (presence): expected 0 or 1"),
        (_with_crc(b"XYZ,1,2"), "field 0 (kind): expected TOF, CNT or PIR, got b'XYZ'"),
        (_with_crc(b"CNT,x,IN"), "field 1 (seq): expected a decimal integer"),
        (_with_crc(b"CNT,70000,IN"), "field 1 (seq): expected 0..65535, got 70000"),
        (_with_crc(b"TOF,1,8,8," + b",".join([b"100"] * 63)), "8x8 needs 64 distances, got 63"),
        (_with_crc(b"TOF,1,3,5," + b",".join([b"100"] * 15)), "unsupported zone layout 3x5"),
        (_with_crc(b"TOF,1,4,4," + b",".join([b"100"] * 15) + b",99999"), "expected 0..65535, got 99999"),
        (_with_crc(b"TOF,1,2,2,100,,100,100"), "field 5 (distance 1): expected a decimal integer, got b''"),
        (_with_crc(b"TOF,1,2,2,100,100,-5,100"), "field 6 (distance 2): expected a decimal integer"),
        (_with_crc(b"TOF,1,2,2,100,100,100,1234567"), "field 7 (distance 3): expected a decimal integer"),
        (_with_crc(b"CNT,1,\x01N"), "byte 7: expected printable ASCII"),
        (b"$" + b"A" * MAX_LINE_BYTES + b"*0000", "expected at most"),
    ],
)
def test_bad_lines_name_what_is_wrong(line: bytes, message: str) -> None:
    with pytest.raises(SerialProtocolError) as caught:
        parse_line(line)
    assert message in str(caught.value)


def test_distances_with_leading_zeros_up_to_six_digits_are_read() -> None:
    parsed = parse_line(_with_crc(b"TOF,7,2,2,065535,00042,0,1"))
    assert isinstance(parsed, DepthFrame)
    assert parsed.distances_mm.tolist() == [[65535, 42], [0, 1]]


def test_framer_resynchronises_after_garbage_within_one_valid_frame() -> None:
    framer = LineFramer()
    good = encode(depth(seq=1))
    stream = b"\x00\xff garbage $TOF,1,8,8,12" + encode(CounterEvent(5, "in")) + good[: len(good) // 2]
    stream += b"$$$\n" + good + b"noise" + encode(PresenceEvent(6, True))
    messages = []
    for i in range(0, len(stream), 13):  # arrives in arbitrary chunks
        messages += framer.feed(stream[i : i + 13])
    kinds = [type(m).__name__ for m in messages]
    assert kinds == ["CounterEvent", "DepthFrame", "PresenceEvent"]
    assert framer.bad_lines >= 2


def test_framer_buffer_is_bounded() -> None:
    framer = LineFramer()
    for _ in range(100):
        framer.feed(b"$" + b"7" * 1000)
    assert len(framer._buffer) <= MAX_LINE_BYTES + 1001
    assert framer.feed(b"\n" + encode(CounterEvent(1, "out"))) == [CounterEvent(1, "out")]


def _mutations(rng: random.Random, seed_lines: list[bytes], count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        line = bytearray(rng.choice(seed_lines))
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(4)
            position = rng.randrange(len(line) + 1)
            if op == 0 and line:
                line[min(position, len(line) - 1)] = rng.randrange(256)
            elif op == 1:
                line[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
            elif op == 2 and line:
                del line[position : position + rng.randint(1, 8)]
            else:
                line = line[:position]
        out.append(bytes(line))
    return out


def test_fuzz_ten_thousand_inputs_raise_only_protocol_errors_and_framer_recovers() -> None:
    """Must show 2: 10,000+ random and mutated inputs; only our error type; resync after each."""
    rng = random.Random(20261130)
    seeds = [
        encode(depth()),
        encode(depth(rows=4, cols=4)),
        encode(CounterEvent(9, "in")),
        encode(PresenceEvent(3, False)),
    ]
    inputs = _mutations(rng, seeds, 8000) + [
        bytes(rng.randrange(256) for _ in range(rng.randint(0, 600))) for _ in range(2500)
    ]
    framer = LineFramer()
    marker = CounterEvent(4242, "out")
    recovered = 0
    for data in inputs:
        with contextlib.suppress(SerialProtocolError):
            parse_line(data)
        messages = framer.feed(data + b"\n" + encode(marker))
        recovered += marker in messages
    assert len(inputs) >= 10_000
    assert recovered == len(inputs), "the framer resynchronised within one valid line after every input"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_raise_only_protocol_errors(data: bytes) -> None:
    with contextlib.suppress(SerialProtocolError):
        parse_line(data)
