"""Inference speed of the shipped detectors against YOLOv8n, on one thread, in one run.

    .venv/bin/python benchmarks/bench_detect.py --yolo-dir /tmp/yolov8n

YOLOv8n models come from benchmarks/build_yolov8n.py (random weights: speed
does not depend on them); without `--yolo-dir` only the shipped models are
timed. Every model runs with ONNX Runtime on the CPU with one intra-op
thread and full graph optimisation, on the same rendered 640 x 480 frames of
the `busy` scenario, after a warm-up. `inference` is `session.run` alone;
`detect` (shipped models only) adds resizing and decoding, the agent's
real per-frame cost. Times are wall-clock per frame on an otherwise idle
machine; run it twice and keep the lower figures if anything else is busy.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from agent.detect import OnnxDetector, OnnxDetectorConfig
from agent.detect.onnx_model import OnnxModel
from agent.sim.render import ScenarioRenderer
from agent.sim.scenarios import SCENARIOS
from agent.types import Frame, FrameMeta

MODELS = Path(__file__).resolve().parents[1] / "models"


def frames(count: int) -> list[Frame]:
    """`count` frames of the busy scenario at 640 x 480, one every 0.2 s (RAM only)."""
    scenario = SCENARIOS["busy"]
    renderer = ScenarioRenderer(scenario, scenario.people(7), 640, 480, seed=7)
    return [Frame(FrameMeta(i, i * 0.2, 640, 480), renderer.frame(i * 0.2)) for i in range(count)]


def time_inference(model: OnnxModel, images: list[Frame], repeats: int) -> list[float]:
    """Milliseconds per `session.run` on each frame's input tensor."""
    tensors = [model.prepare(f.image)[0] for f in images]
    times = []
    for _ in range(repeats):
        for tensor in tensors:
            started = time.perf_counter()
            model.run(tensor)
            times.append((time.perf_counter() - started) * 1000)
    return times


def time_detect(detector: OnnxDetector, images: list[Frame], repeats: int) -> list[float]:
    """Milliseconds per `detect` (resize, inference, decoding) on each frame."""
    times = []
    for _ in range(repeats):
        for frame in images:
            started = time.perf_counter()
            detector.detect(frame)
            times.append((time.perf_counter() - started) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    """Print one table: model, input, file size, inference and detect times, speed-up over YOLOv8n at 320."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--yolo-dir", type=Path, help="folder with yolov8n_320.onnx and yolov8n_640.onnx")
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    images = frames(args.frames)
    # The shipped model at its own 320 x 240, and the INT8 one at the 448 x 336 an installer sets
    # under a wide fisheye (agent/sim/installer.py).
    entries: list[tuple[str, Path, bool, tuple[int, int] | None]] = [
        ("footfall head FP32", MODELS / "footfall_head_fp32.onnx", True, None),
        ("footfall head INT8", MODELS / "footfall_head_int8.onnx", True, None),
        ("footfall head INT8, fisheye input", MODELS / "footfall_head_int8.onnx", True, (448, 336)),
    ]
    if args.yolo_dir:
        entries += [(f"YOLOv8n {s}", args.yolo_dir / f"yolov8n_{s}.onnx", False, None) for s in (320, 640)]
    rows = []
    for name, path, ours, input_size in entries:
        config = OnnxDetectorConfig(type="onnx", model=path, threads=1, input_size=input_size)
        if ours:
            detector = OnnxDetector(config)
            model = detector.model
        else:
            model = OnnxModel.open(path, threads=1)
            model.warm_up()
        inference = time_inference(model, images, args.repeats)
        detect = time_detect(detector, images, args.repeats) if ours else []
        rows.append((name, model, path, inference, detect))
    reference = next((np.median(r[3]) for r in rows if r[0] == "YOLOv8n 320"), None)
    print(
        f"ONNX Runtime {ort.__version__}, 1 thread, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; {args.frames} busy frames x {args.repeats}\n"
    )
    print(
        "| model | input (w x h) | file (MB) | inference median (ms) | p90 (ms) | detect median (ms) | x faster than YOLOv8n 320 |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, model, path, inference, detect in rows:
        median = float(np.median(inference))
        speedup = f"{reference / median:.1f}" if reference else "-"
        detect_text = f"{np.median(detect):.2f}" if detect else "-"
        print(
            f"| {name} | {model.input.width_px} x {model.input.height_px} | {path.stat().st_size / 1e6:.2f} | "
            f"{median:.2f} | {np.percentile(inference, 90):.2f} | {detect_text} | {speedup} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
