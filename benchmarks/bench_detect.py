"""Inference speed of the shipped detectors against YOLOv8n, on one thread, in one run.

    .venv/bin/python benchmarks/bench_detect.py --yolo-dir /tmp/yolov8n

YOLOv8n models come from benchmarks/build_yolov8n.py (random weights: speed
does not depend on them); without `--yolo-dir` only the shipped models are
timed. Every model runs with ONNX Runtime on the CPU with one intra-op
thread (which ONNX Runtime runs on the calling thread) and full graph
optimisation, on the same rendered 640 x 480 frames of the `busy` scenario,
after a warm-up. `inference` is `session.run` alone; `detect` (shipped
models only) adds resizing and decoding, the agent's real per-frame cost.

Times are the calling thread's CPU time, so another process taking the
core does not count; and the models take turns, round by round, over the
same frames, so a machine that runs faster or slower for a while (shared
machines do) moves every model alike. The speed-up over YOLOv8n at 320 is
worked out in each round, from that round's medians, and the table gives
the median round's figure and the lowest and highest.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import onnxruntime as ort

from agent.detect import OnnxDetector, OnnxDetectorConfig
from agent.detect.onnx_model import OnnxModel
from agent.sim.installer import FISHEYE_MODEL_INPUT_PX, FISHEYE_VIEWS
from agent.sim.render import ScenarioRenderer
from agent.sim.scenarios import SCENARIOS
from agent.types import Frame, FrameMeta

MODELS = Path(__file__).resolve().parents[1] / "models"
T = TypeVar("T")


def frames(count: int) -> list[Frame]:
    """`count` frames of the busy scenario at 640 x 480, one every 0.2 s (RAM only)."""
    scenario = SCENARIOS["busy"]
    renderer = ScenarioRenderer(scenario, scenario.people(7), 640, 480, seed=7)
    return [Frame(FrameMeta(i, i * 0.2, 640, 480), renderer.frame(i * 0.2)) for i in range(count)]


def cpu_ms_each(call: Callable[[T], object], items: list[T]) -> list[float]:
    """CPU milliseconds of this thread that `call` takes on each of `items`, in order."""
    times = []
    for item in items:
        started = time.thread_time()
        call(item)
        times.append((time.thread_time() - started) * 1000)
    return times


@dataclass
class Timed:
    """One model under test and its times: per round, CPU ms per frame of inference and of detect."""

    name: str
    path: Path
    model: OnnxModel
    detector: OnnxDetector | None
    tensors: list[np.ndarray]
    inference_ms: list[list[float]] = field(default_factory=list)
    detect_ms: list[list[float]] = field(default_factory=list)


def speedups(model_rounds: list[list[float]], reference_rounds: list[list[float]]) -> list[float]:
    """Per round, the reference's median time over the model's (how many times faster the model ran)."""
    return [
        float(np.median(reference)) / float(np.median(model))
        for model, reference in zip(model_rounds, reference_rounds, strict=True)
    ]


def main(argv: list[str] | None = None) -> int:
    """Print one table: model, input, file size, inference and detect times, speed-up over YOLOv8n at 320."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--yolo-dir", type=Path, help="folder with yolov8n_320.onnx and yolov8n_640.onnx")
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10, help="turns each model takes over the frames")
    args = parser.parse_args(argv)
    images = frames(args.frames)
    # The shipped model at its own 320 x 240, and the INT8 one at the input an installer sets under a
    # wide fisheye (agent/sim/installer.py: 576 x 432 since 2026-12-03, 448 x 336 before), one inference:
    # the installer's two views there run it twice a frame.
    entries: list[tuple[str, Path, bool, tuple[int, int] | None]] = [
        ("footfall head FP32", MODELS / "footfall_head_fp32.onnx", True, None),
        ("footfall head INT8", MODELS / "footfall_head_int8.onnx", True, None),
        (
            f"footfall head INT8, fisheye input (one of {FISHEYE_VIEWS} views)",
            MODELS / "footfall_head_int8.onnx",
            True,
            FISHEYE_MODEL_INPUT_PX,
        ),
    ]
    if args.yolo_dir:
        entries += [(f"YOLOv8n {s}", args.yolo_dir / f"yolov8n_{s}.onnx", False, None) for s in (320, 640)]
    timed = []
    for name, path, ours, input_size in entries:
        config = OnnxDetectorConfig(type="onnx", model=path, threads=1, input_size=input_size)
        detector = OnnxDetector(config) if ours else None
        model = detector.model if detector else OnnxModel.open(path, threads=1)
        if detector is None:
            model.warm_up()
        timed.append(Timed(name, path, model, detector, [model.prepare(f.image)[0] for f in images]))
    for round_index in range(args.rounds):
        for entry in timed:
            entry.inference_ms.append(cpu_ms_each(entry.model.run, entry.tensors))
            if entry.detector is not None:
                entry.detect_ms.append(cpu_ms_each(entry.detector.detect, images))
        print(f"round {round_index + 1}/{args.rounds}", file=sys.stderr, flush=True)
    reference = next((t for t in timed if t.name == "YOLOv8n 320"), None)
    print(
        f"ONNX Runtime {ort.__version__}, 1 thread, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; {args.frames} busy frames x {args.rounds} rounds, models taking turns; "
        "CPU time of the calling thread\n"
    )
    print(
        "| model | input (w x h) | file (MB) | inference median (ms) | p90 (ms) | detect median (ms) "
        "| x faster than YOLOv8n 320 (median round; lowest-highest) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for t in timed:
        inference = np.concatenate(t.inference_ms)
        detect_text = f"{np.median(np.concatenate(t.detect_ms)):.2f}" if t.detect_ms else "-"
        speedup = "-"
        if reference is not None:
            ratios = speedups(t.inference_ms, reference.inference_ms)
            speedup = f"{np.median(ratios):.1f} ({min(ratios):.1f}-{max(ratios):.1f})"
        print(
            f"| {t.name} | {t.model.input.width_px} x {t.model.input.height_px} | "
            f"{t.path.stat().st_size / 1e6:.2f} | {np.median(inference):.2f} | "
            f"{np.percentile(inference, 90):.2f} | {detect_text} | {speedup} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
