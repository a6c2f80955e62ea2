"""The sd_notify protocol against real datagram sockets (a path and the abstract form)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.runtime.systemd_notify import SystemdNotifier


@pytest.fixture(params=["path", "abstract"])
def notify_socket(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if request.param == "path":
        name = str(tmp_path / "notify")
        sock.bind(name)
    else:
        name = f"@footfall-test-{os.getpid()}-{id(sock)}"
        sock.bind("\0" + name[1:])
    sock.settimeout(2.0)
    yield name, sock
    sock.close()


def test_ready_watchdog_and_stopping_arrive(
    notify_socket: tuple[str, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, sock = notify_socket
    monkeypatch.setenv("WATCHDOG_USEC", "1000000")
    notifier = SystemdNotifier(name)
    notifier.ready("counting: 1 line")
    assert sock.recv(4096) == b"READY=1\nSTATUS=counting: 1 line"
    notifier.watchdog("ok")
    assert sock.recv(4096) == b"WATCHDOG=1\nSTATUS=ok"
    notifier.stopping()
    assert sock.recv(4096) == b"STOPPING=1"


def test_watchdog_is_rate_limited_to_half_the_period(
    notify_socket: tuple[str, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, sock = notify_socket
    monkeypatch.setenv("WATCHDOG_USEC", "20000000")  # 20 s: ping at most every 10 s
    notifier = SystemdNotifier(name)
    assert notifier.watchdog_interval_s == 10.0
    for _ in range(50):
        notifier.watchdog()
    sock.settimeout(0.2)
    assert sock.recv(4096) == b"WATCHDOG=1"
    with pytest.raises(TimeoutError):
        sock.recv(4096)


def test_without_notify_socket_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = SystemdNotifier()
    assert not notifier.enabled
    assert notifier.notify("READY=1") is False


def test_missing_socket_is_logged_not_raised(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    notifier = SystemdNotifier(str(tmp_path / "gone"))
    assert notifier.notify("READY=1") is False
    assert "gone" in caplog.text


def test_a_reader_that_stopped_reading_never_blocks_the_agent(
    notify_socket: tuple[str, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, _ = notify_socket
    monkeypatch.setenv("WATCHDOG_USEC", "2")  # ping every microsecond: fills the socket at once
    notifier = SystemdNotifier(name)
    results = [notifier.notify("WATCHDOG=1") for _ in range(5000)]
    assert results[0] is True and results[-1] is False, "once the buffer is full, datagrams are dropped"


def test_no_watchdog_pings_without_a_watchdog(
    notify_socket: tuple[str, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, sock = notify_socket
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    SystemdNotifier(name).watchdog()
    sock.settimeout(0.2)
    with pytest.raises(TimeoutError):
        sock.recv(4096)
