"""End to end on a serial ToF sensor: pty -> `footfall run` -> outbox -> private Mosquitto (Must show 4)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest

from agent.sim.tof import ToFSensor, tof_doorway_scene, tof_frames
from agent.sources.serial_protocol import DepthFrame, encode
from tests.helpers.broker import MosquittoBroker
from tests.helpers.pty_device import PtyDevice
from tests.helpers.ready import ReadyWaiter, start_agent
from tests.helpers.subscriber import Subscriber

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
[device]
site = "tof-site"
id = "door-tof"

[source]
type = "tof_serial"
port = "{port}"
frame_rate_hz = 15.0

[tracker]
type = "nearest"
max_distance_m = 0.5
min_hits = 2
max_age_s = 0.6

[[lines]]
name = "door"
start = [-1.5, 0.0]
end = [1.5, 0.0]
hysteresis_m = 0.1

[aggregation]
bucket_s = 2

[mqtt]
host = "127.0.0.1"
port = {mqtt_port}

[outbox]
path = "{outbox}"
hold_unsynced_s = 0
"""


@pytest.mark.slow
def test_tof_sensor_counts_reach_the_broker_valid(tmp_path: Path, broker: MosquittoBroker) -> None:
    scene = tof_doorway_scene(
        seed=11, duration_s=90.0, people_per_minute=12.0, door_width_m=1.0, keep_to_side_m=0.25, min_gap_m=0.7
    )
    frames = list(tof_frames(scene, ToFSensor(rows=8, cols=8), fps=15.0, seed=11))
    device = PtyDevice(tmp_path / "ttyTOF")
    config = tmp_path / "tof.toml"
    config.write_text(CONFIG.format(port=device.path, mqtt_port=broker.port, outbox=tmp_path / "outbox.db"))
    subscriber = Subscriber(broker.host, broker.port)
    ready = ReadyWaiter(tmp_path / "notify")
    agent = start_agent(config, 20, ready, ROOT)
    try:
        ready.wait()  # the port is open: pyserial drops what arrived before
        for frame in frames:  # faster than real time: tracking runs on the frames' own clock
            device.send(encode(DepthFrame(frame.index, frame.distances_mm)))
            time.sleep(0.002)
        device.send(b"$garbage line*0000\r\n\x00\xff")  # a bad line is skipped, not fatal
        _, stderr = agent.communicate(timeout=60)
        assert agent.returncode == 0, stderr
        counts = subscriber.wait_for("counts", 1)
        time.sleep(1.0)
        counts = subscriber.of_kind("counts")
    finally:
        if agent.poll() is None:
            agent.kill()
        subscriber.close()
        ready.close()
        device.close()
    schema = json.loads((ROOT / "schemas" / "counts.schema.json").read_text())
    for payload in counts:
        jsonschema.validate(payload, schema)
    truth = {d: sum(c.direction == d for c in scene.crossings) for d in ("in", "out")}
    counted = {d: sum(p["lines"][0][d] for p in counts) for d in ("in", "out")}
    assert truth["in"] + truth["out"] >= 10
    for direction in ("in", "out"):
        assert abs(counted[direction] - truth[direction]) <= max(1, round(0.02 * truth[direction])), (
            counted,
            truth,
        )
    assert "0 still pending" in stderr
