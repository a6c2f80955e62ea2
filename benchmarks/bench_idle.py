"""CPU per frame of the camera pipeline on a busy shop and an empty one, with and without the motion gate.

    .venv/bin/python benchmarks/bench_idle.py

Stages timed, per frame, as the camera pipeline runs them: motion gate ->
detector (the shipped INT8 model, one thread, at the input size and views
the installer sets for the scenario's camera: 576 x 432 and two views under
`busy`'s fisheye since 2026-12-03 (448 x 336 and one view before), the
model's 320 x 240 and one view elsewhere, and the installer's threshold,
0.15) ->
floor projection -> tracker (the installer's settings for the head model,
`agent.evaluate.tracker_config`; its colour descriptors are not sampled
here) -> line counters (`agent.runtime.counting.FloorCounting`, as the agent
runs them). Until 2026-12-02 03:00 the detector ran at 0.4 and the tracker
with its defaults.
When the gate skips a frame the tracker is told so
(`update(..., detected=False)`) and the tracks coast; while a track awaits
confirmation or someone tracked is within `line_watch_m` of a counting line
the gate lets every frame through. The gate runs three
ways: off, on with every detection over the whole frame (`regions = false`),
and as configured by default, where movement makes the detector look only
around what moved and the people it found the last time. Frames are rendered
into RAM first (10 fps, 640 x 480) and rendering is not timed; the figure is
process CPU time (`time.process_time`), so other load on the machine does
not inflate it. `night` is the empty shop at night: light banks switching,
one cleaner pushing a cart up and down the aisle; `empty` is the same shop
with the lights switching and nobody in it. A last line gives `busy` at the
model's own 320 x 240 and one view too (as this benchmark ran it until
2026-12-01), the cheapest way to run it, and night's share of that.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from agent.analytics.config import LineConfig
from agent.detect import GatedDetector, MotionGate, OnnxDetectorConfig, build_detector
from agent.detect.config import MotionGateConfig
from agent.evaluate import HEAD_DETECTOR_THRESHOLD, tracker_config
from agent.geometry.projector import CameraProjector
from agent.runtime.counting import FloorCounting
from agent.sim.installer import HeadDetectorSetting, head_detector_setting
from agent.sim.render import ScenarioRenderer
from agent.sim.scenarios import SCENARIOS
from agent.types import Frame, FrameMeta

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
    frames: list[Frame], renderer: ScenarioRenderer, gate: MotionGateConfig | None, installed: bool = True
) -> tuple[float, float, float, int]:
    """CPU milliseconds per frame, fractions of frames detected and detected in a region only, and
    crossings counted; the model at the installer's input size and views for the scenario's camera, or
    at its own (320 x 240, one view) when not `installed`."""
    projector = CameraProjector(renderer.camera, _HEAD_HEIGHT_M)
    setting = head_detector_setting(renderer.scenario) if installed else HeadDetectorSetting()
    config = OnnxDetectorConfig(
        type="onnx",
        model=MODEL,
        threads=1,
        input_size=setting.input_size,
        views=setting.views,
        score_threshold=HEAD_DETECTOR_THRESHOLD,
    )
    detector = GatedDetector(build_detector(config, projector), None if gate is None else MotionGate(gate))
    lines = [
        LineConfig(name=line.name, start=line.start_m, end=line.end_m, in_side=line.in_side, hysteresis_m=0.1)
        for line in renderer.scenario.layout.lines
    ]
    floor = FloorCounting(tracker_config("kalman", overhead=True, views=setting.views), lines, projector)
    detected, crossings = 0, 0
    started = time.process_time()
    for frame in frames:
        watching = floor.watching(detector.line_watch_m)
        detections = detector.detect(frame, tracking=floor.tracking, watching=watching)
        detected += detections is not None
        crossings += len(floor.count_detections(frame.meta.t_s, detections, projector).crossings)
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
    small_ms = run(*clips["busy"], GATES["on"], installed=False)[0]
    night_ms = results[("night", "on")][0]
    print(
        f"\n`busy` with the model at its own 320 x 240 and one view instead of the installer's setting: {small_ms:.2f} ms "
        f"per frame (gate on); night's share of that {night_ms / small_ms:.2f}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
