"""The serial source on real pseudo-terminals: unplug and replug, missing port, wrong baud rate."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from agent.errors import SourceError
from agent.sources.serial_port import SerialMessageSource, diagnose_garbage
from agent.sources.serial_protocol import CounterEvent, encode
from tests.helpers.pty_device import PtyDevice


def _collect(source: SerialMessageSource, into: list[object]) -> threading.Thread:
    thread = threading.Thread(target=lambda: into.extend(m for m in source.messages() if m), daemon=True)
    thread.start()
    return thread


def _wait_until(predicate, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_unplug_and_replug_resumes_and_loses_nothing_counted(tmp_path: Path) -> None:
    """Must show 3: the pseudo-terminal is closed and reopened during a run."""
    device = PtyDevice(tmp_path / "ttyFOOTFALL")
    stop = threading.Event()
    source = SerialMessageSource(str(device.path), 115200, stop)
    received: list[object] = []
    thread = _collect(source, received)
    try:
        for seq in range(5):
            device.send(encode(CounterEvent(seq, "in")))
        assert _wait_until(lambda: len(received) == 5)
        device.unplug()
        assert _wait_until(lambda: not source.health.connected)
        time.sleep(0.5)  # the port stays away for a while; the source keeps trying
        device.plug_in()
        assert _wait_until(lambda: source.health.connected)
        for seq in range(5, 9):
            device.send(encode(CounterEvent(seq, "out")))
        assert _wait_until(lambda: len(received) == 9)
    finally:
        stop.set()
        thread.join(5)
        source.close()
        device.close()
    assert [m.seq for m in received] == list(range(9))  # type: ignore[attr-defined]
    assert source.health.reopens == 1


def test_missing_port_at_start_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "ttyUSB9"
    with pytest.raises(SourceError, match=f"serial port {missing}: cannot open"):
        SerialMessageSource(str(missing), 115200, threading.Event())


def test_garbage_at_wrong_baud_rate_is_diagnosed(tmp_path: Path) -> None:
    device = PtyDevice(tmp_path / "ttyX")
    stop = threading.Event()
    source = SerialMessageSource(str(device.path), 9600, stop)
    received: list[object] = []
    thread = _collect(source, received)
    try:
        # What a 115200 baud sender looks like to a 9600 baud receiver: noise-like bytes.
        device.send(bytes((i * 97 + 13) % 256 for i in range(6000)))
        assert _wait_until(lambda: "baud rate is probably wrong" in source.health.diagnosis)
    finally:
        stop.set()
        thread.join(5)
        source.close()
        device.close()
    assert "configured 9600" in source.health.diagnosis
    assert received == []


def test_loop_url_works() -> None:
    stop = threading.Event()
    source = SerialMessageSource("loop://", 115200, stop)
    source._port.write(encode(CounterEvent(1, "in")))
    first = next(m for m in source.messages() if m is not None)
    assert first == CounterEvent(1, "in")
    stop.set()
    source.close()


@pytest.mark.parametrize(
    "data,fragment",
    [(b"", "no bytes received"), (b"hello world\r\n" * 50, "is this a footfall sensor")],
)
def test_diagnosis_text(data: bytes, fragment: str) -> None:
    assert fragment in diagnose_garbage(data, 115200)
