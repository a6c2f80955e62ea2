"""A counting device and a PIR on a serial port, through `footfall run` to a private Mosquitto."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest

from agent.sources.serial_protocol import CounterEvent, PresenceEvent, encode
from tests.helpers.broker import MosquittoBroker
from tests.helpers.pty_device import PtyDevice
from tests.helpers.ready import ReadyWaiter, start_agent
from tests.helpers.subscriber import Subscriber

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
[device]
site = "pir-site"
id = "door-counter"

[source]
type = "counter_serial"
port = "{port}"
line = "door"
presence_zone = "porch"

[[lines]]
name = "door"
start = [0.0, 0.0]
end = [1.0, 0.0]

[aggregation]
bucket_s = 60

[mqtt]
host = "127.0.0.1"
port = {mqtt_port}
status_interval_s = 5

[outbox]
path = "{outbox}"
hold_unsynced_s = 0
"""


def _schema(kind: str) -> dict[str, object]:
    return json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.slow
def test_counter_events_presence_seconds_and_bad_lines_in_status(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    device = PtyDevice(tmp_path / "ttyCNT")
    config = tmp_path / "counter.toml"
    config.write_text(CONFIG.format(port=device.path, mqtt_port=broker.port, outbox=tmp_path / "outbox.db"))
    subscriber = Subscriber(broker.host, broker.port)
    ready = ReadyWaiter(tmp_path / "notify")
    agent = start_agent(config, 9, ready, ROOT)
    try:
        ready.wait()  # the port is open: pyserial drops what arrived before
        for seq, direction in enumerate(["in", "in", "out", "in", "out"]):
            device.send(encode(CounterEvent(seq, direction)))  # type: ignore[arg-type]
        device.send(encode(PresenceEvent(10, True)))
        time.sleep(3.0)  # someone in front of the PIR for three seconds
        device.send(encode(PresenceEvent(11, False)))
        device.send(b"$CNT,12,SIDEWAYS*0000\r\n")  # a bad line: counted in status, never fatal
        _, stderr = agent.communicate(timeout=60)
        assert agent.returncode == 0, stderr
        assert "0 still pending" in stderr, stderr
        subscriber.wait_for("status", 3)
        time.sleep(1.0)  # everything was acknowledged before the agent exited; let it arrive here
        counts = subscriber.of_kind("counts")
        occupancy = subscriber.of_kind("occupancy")
        statuses = [s for s in subscriber.of_kind("status") if s.get("serial")]
    finally:
        if agent.poll() is None:
            agent.kill()
        subscriber.close()
        ready.close()
        device.close()
    assert sum(c["lines"][0]["in"] for c in counts) == 3
    assert sum(c["lines"][0]["out"] for c in counts) == 2
    porch = [z for report in occupancy for z in report["zones"] if z["zone"] == "porch"]
    assert 2.5 <= sum(z["occupied_s"] for z in porch) <= 3.6
    assert all(z["mean_people"] is None for z in porch), "a PIR cannot count people"
    assert statuses and statuses[-1]["serial"]["bad_lines"] >= 1
    assert statuses[-1]["serial"]["good_lines"] >= 7
    for kind, payloads in (("counts", counts), ("occupancy", occupancy), ("status", statuses)):
        for payload in payloads:
            jsonschema.validate(payload, _schema(kind))
