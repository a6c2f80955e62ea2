"""Real `footfall-collector` processes and a real publisher for the collector tests."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from agent.publish.payloads import Payload

ROOT = Path(__file__).resolve().parents[2]
STOPPED = re.compile(r"stopped: received=(\d+) stored=(\d+) duplicates=(\d+) health=(\d+) dead=(\d+)")


@dataclass
class CollectorTotals:
    """What a collector process said when it stopped."""

    received: int
    stored: int
    duplicates: int
    health: int
    dead: int


class CollectorProcess:
    """`python -m collector run` in a subprocess, output in `log`; `stop()` returns its totals."""

    def __init__(
        self, db_url: str, broker_port: int, client_id: str, log: Path, *, http_port: int | None = None
    ) -> None:
        self.log = log
        args = [
            sys.executable, "-m", "collector", "run", "--db", db_url, "--mqtt-host", "127.0.0.1",
            "--mqtt-port", str(broker_port), "--group", "test-collectors", "--client-id", client_id,
        ]  # fmt: skip
        if http_port is not None:
            args += ["--http", f"127.0.0.1:{http_port}"]
        with open(log, "ab") as out:
            self.process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        self.client_id = client_id

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Wait for the "ready" line; raise with the log when the process exits or times out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if f"collector {self.client_id} ready" in self.text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"collector {self.client_id} not ready:\n{self.text()}")

    def text(self) -> str:
        """Everything the process printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> CollectorTotals:
        """SIGTERM, wait, and parse the totals line."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        match = STOPPED.search(self.text())
        if match is None:
            raise RuntimeError(f"collector {self.client_id} printed no totals:\n{self.text()}")
        return CollectorTotals(*(int(v) for v in match.groups()))


def topic_of(payload: Payload, prefix: str = "footfall/v1") -> str:
    """The topic a device publishes `payload` under."""
    return f"{prefix}/{payload.site}/{payload.device}/{payload.kind}"


def publish(port: int, messages: Iterable[tuple[str, bytes, bool]], timeout_s: float = 60.0) -> int:
    """Publish (topic, payload, retain) at QoS 1 and wait until the broker acknowledged every one."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(100)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=1, retain=retain) for topic, payload, retain in messages]
        deadline = time.monotonic() + timeout_s
        for info in infos:
            info.wait_for_publish(max(0.1, deadline - time.monotonic()))
            if not info.is_published():
                raise RuntimeError(f"message {info.mid} not acknowledged by the broker within {timeout_s} s")
        return len(infos)
    finally:
        client.disconnect()
        client.loop_stop()


def publish_payloads(port: int, payloads: Sequence[Payload]) -> int:
    """Publish payload models as a device would (status and layout retained)."""
    return publish(
        port, [(topic_of(p), p.to_json().encode(), p.kind in ("status", "layout")) for p in payloads]
    )


def wait_until(condition: object, timeout_s: float, what: str) -> None:
    """Poll `condition()` until true; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
