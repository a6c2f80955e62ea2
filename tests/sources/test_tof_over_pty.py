"""Simulated ToF traffic through a real pseudo-terminal into the counting stages (Must show 1)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from agent.analytics.config import LineConfig
from agent.runtime.counting import SensorClock, ToFCounting
from agent.sim.tof import ToFSensor, tof_doorway_scene, tof_frames
from agent.sources.serial_config import ToFSerialSourceConfig
from agent.sources.serial_protocol import DepthFrame, encode
from agent.track.config import NearestTrackerConfig
from tests.helpers.pty_device import PtyDevice

# The doorway line under the sensor: "in" is +y (the shop side), as in the simulator.
DOOR = LineConfig(name="door", start=(-1.5, 0.0), end=(1.5, 0.0), in_side="left", hysteresis_m=0.1)
TRACKER_8X8 = NearestTrackerConfig(max_distance_m=0.5, min_hits=2, max_age_s=0.6)
# 4x4 zones are 0.5 m wide on the floor: a head's peak jumps a whole zone, so the gate is tighter.
TRACKER_4X4 = NearestTrackerConfig(max_distance_m=0.35, min_hits=2, max_age_s=0.3)
SEEDS = range(3, 9)  # six five-minute doorway scenes


def _count_over_pty(
    tmp_path: Path, zones: int, fps: float, seed: int, tracker: NearestTrackerConfig
) -> tuple[dict[str, int], dict[str, int]]:
    # People walk as people do in a 1 m door: alone they keep to their right, and nobody
    # walks into the person ahead (the simulator's default lets two people share one spot,
    # which no sensor can tell apart).
    scene = tof_doorway_scene(
        seed=seed,
        duration_s=300.0,
        people_per_minute=12.0,
        door_width_m=1.0,
        keep_to_side_m=0.25,
        min_gap_m=0.7,
    )
    frames = list(tof_frames(scene, ToFSensor(rows=zones, cols=zones), fps=fps, seed=seed))
    device = PtyDevice(tmp_path / f"ttyTOF{seed}")
    stop = threading.Event()
    config = ToFSerialSourceConfig(type="tof_serial", port=str(device.path), frame_rate_hz=fps)
    counting = ToFCounting(config, tracker, [DOOR], stop)

    def feed() -> None:
        for frame in frames:
            device.send(encode(DepthFrame(frame.index % 65_536, frame.distances_mm)))
        device.send(b"$END\r\n")  # not a valid line: only marks the end for this test

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    counted = {"in": 0, "out": 0}
    try:
        for step in counting.steps():
            for crossing in step.crossings:
                counted[crossing.direction] += 1
            if counting.health.bad_lines:  # the end marker arrived: every frame before it was read
                break
    finally:
        stop.set()
        counting.close()
        device.close()
        feeder.join(5)
    assert counting.health.good_lines == len(frames)
    truth = {d: sum(c.direction == d for c in scene.crossings) for d in ("in", "out")}
    return truth, counted


@pytest.mark.slow
@pytest.mark.parametrize(
    "zones,fps,tracker,max_error",
    [(8, 15.0, TRACKER_8X8, 0.02), (4, 30.0, TRACKER_4X4, 0.04)],
    ids=["8x8 within 2%", "4x4 within 4%"],
)
def test_doorway_counts_per_direction(
    tmp_path: Path, zones: int, fps: float, tracker: NearestTrackerConfig, max_error: float
) -> None:
    """Must show 1 (8x8): single file, pairs and threes abreast, turn-backs; 30 minutes of traffic."""
    truth = {"in": 0, "out": 0}
    counted = {"in": 0, "out": 0}
    for seed in SEEDS:
        scene_truth, scene_counted = _count_over_pty(tmp_path, zones, fps, seed, tracker)
        for direction in truth:
            truth[direction] += scene_truth[direction]
            counted[direction] += scene_counted[direction]
    for direction in truth:
        error = abs(counted[direction] - truth[direction]) / truth[direction]
        print(
            f"{zones}x{zones} {direction}: truth {truth[direction]}, counted {counted[direction]}, error {error:.1%}"
        )
        assert error <= max_error, f"{direction}: counted {counted[direction]} of {truth[direction]}"


@pytest.mark.parametrize(
    "seqs,expected_s,lost",
    [
        ([0, 1, 2], [0.0, 0.1, 0.2], 0),
        ([0, 3], [0.0, 0.3], 2),
        ([65534, 65535, 0, 1], [0.0, 0.1, 0.2, 0.3], 0),
        ([100, 5], [0.0, 0.1], 0),
        ([0, 900], [0.0, 0.1], 0),
    ],
    ids=["steady", "lost-two", "wraps", "device-restart", "long-gap"],
)
def test_sensor_clock(seqs: list[int], expected_s: list[float], lost: int) -> None:
    clock = SensorClock(frame_rate_hz=10.0, max_gap_s=5.0)
    assert np.allclose([clock.tick(s) for s in seqs], expected_s)
    assert clock.lost_frames == lost
