"""CPU per frame of the camera pipeline on a busy shop and an empty one, with and without the motion gate.

    .venv/bin/python benchmarks/bench_idle.py

Stages timed, per frame, as the camera pipeline runs them: motion gate ->
detector (the shipped INT8 model, one thread) -> floor projection -> tracker
-> line counters. When the gate skips a frame the tracker is told so
(`update(..., detected=False)`) and the tracks coast. The gate runs three
ways: off, on with every detection over the whole frame (`regions = false`),
and as configured by default, where movement makes the detector look only
around what moved and the people it found the last time. Frames are rendered
into RAM first (10 fps, 640 x 480) and rendering is not timed; the figure is
process CPU time (`time.process_time`), so other load on the machine does
not inflate it. `night` is the empty shop at night: light banks switching,
one cleaner pushing a cart up and down the aisle; `empty` is the same shop
with the lights switching and nobody in it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from agent.analytics.lines import LineCounter
from agent.detect import GatedDetector, MotionGate, OnnxDetectorConfig, build_detector
from agent.detect.config import MotionGateConfig
from agent.geometry.projector import CameraProjector
from agent.sim.render import ScenarioRenderer
from agent.sim.scenarios import SCENARIOS
from agent.track import build_tracker
from agent.track.config import KalmanTrackerConfig
from agent.types import FloorPoints, Frame, FrameMeta

MODEL = Path(__file__).resolve().parents[1] / "models" / "footfall_head_int8.onnx"
_FPS = 10.0
_HEAD_HEIGHT_M = 1.6


def render(name: str, seconds: float, seed: int = 5) -> tuple[list[Frame], ScenarioRenderer]:
    """`seconds` of scenario `name` at 10 fps, 640 x 480, in RAM; `empty` is `night` without the cleaner."""
    scenario = SCENARIOS["night" if name == "empty" else name]
    people = [] if name == "empty" else scenario.people(seed, 0.0, seconds)
    renderer = ScenarioRenderer(scenario, people, 640, 480, seed=seed)
    count = int(seconds * _FPS)
    frames = [Frame(FrameMeta(i, i / _FPS, 640, 480), renderer.frame(i / _FPS)) for i in range(count)]
    return frames, renderer


GATES = {"off": None, "whole frames": MotionGateConfig(regions=False), "on": MotionGateConfig()}


def run(
    frames: list[Frame], renderer: ScenarioRenderer, gate: MotionGateConfig | None
) -> tuple[float, float, float, int]:
    """CPU milliseconds per frame, fractions of frames detected and detected in a region only, and
    crossings counted."""
    projector = CameraProjector(renderer.camera, _HEAD_HEIGHT_M)
    detector = GatedDetector(
        build_detector(OnnxDetectorConfig(type="onnx", model=MODEL, threads=1), projector),
        None if gate is None else MotionGate(gate),
    )
    tracker = build_tracker(KalmanTrackerConfig(type="kalman"), projector.sees)
    counters = [LineCounter(line, 0.1) for line in renderer.scenario.layout.lines]
    detected, crossings = 0, 0
    started = time.process_time()
    for frame in frames:
        detections = detector.detect(frame, tracking=len(tracker) > 0, confirming=tracker.tentative > 0)
        if detections is None:
            tracks = tracker.update(
                FloorPoints(frame.meta.t_s, np.zeros((0, 2)), np.zeros(0)), detected=False
            )
        else:
            detected += 1
            tracks = tracker.update(projector.project(detections))
        for counter in counters:
            crossings += len(counter.update(tracks))
    cpu_ms = (time.process_time() - started) * 1000 / len(frames)
    return cpu_ms, detected / len(frames), detector.region_looks / len(frames), crossings


def main(argv: list[str] | None = None) -> int:
    """Print one table: scenario, gate, CPU ms per frame, frames detected (in a region only), crossings,
    share of busy's cost."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="clip length per scenario")
    args = parser.parse_args(argv)
    names = ("busy", "night", "empty")
    clips = {name: render(name, args.seconds) for name in names}
    results = {(name, mode): run(*clips[name], gate) for name in names for mode, gate in GATES.items()}
    print(
        f"{args.seconds:g} s per scenario at {_FPS:g} fps, 640 x 480, INT8 model on 1 thread, Kalman tracker\n"
    )
    print(
        "| scenario | motion gate | CPU per frame (ms) | frames detected | frames detected in a region only | crossings "
        "| share of busy (gated) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    busy_ms = results[("busy", "on")][0]
    for (name, mode), (cpu_ms, share, region_share, crossings) in results.items():
        print(
            f"| {name} | {mode} | {cpu_ms:.2f} | {share:.0%} | {region_share:.0%} | {crossings} | "
            f"{cpu_ms / busy_ms:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
