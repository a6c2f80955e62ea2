"""Held-out accuracy of the shipped models on simulated clips: head-point recall and precision.

    .venv/bin/python models/evaluate.py                  # both shipped models, about 2 minutes
    .venv/bin/python models/evaluate.py --model other.onnx --format yolov8

Clips: every named scenario exactly as defined (`agent.sim.scenarios`), at
640 x 480, seeds below the training seeds (`simdata.TRAIN_SEED_BASE`), so no
clip was seen in training; `checkout` (layout and queue behaviour) was never
rendered for training in any variant. Frames are sampled at `--fps`. Each
scenario runs the model as its installer config sets it
(`agent.sim.installer.head_detector_setting`): the model's own 320 x 240
and one view, but 576 x 432 and two views (the picture and its mirror
image, averaged: `detector.views`) under `busy`'s fisheye, unless
`--input-size` and `--views` name others for all; and with the scenario's
camera as its calibration (heads at 1.7 m), as an installed detector runs:
a weak detection within `--same-person-m` (0.3 m) on the floor of a much
stronger one is dropped (`agent.detect.same_person`; 0 keeps it).
`--threshold` is by default the score from which the installer's tracker
takes a head as a head (`tracker.low_score`: 0.4 with one view, 0.35 with
two, 0.35 with four, `agent.evaluate.HEAD_LOW_SCORE_BY_VIEWS`); the
installed detector passes heads from 0.15, but the fainter ones only move a
track already following someone (`tracker.faint_apart_m`), so they are not
scored here.

Scoring, per frame: a detection and a person match when the detection's
pixel, projected to the floor at that person's height, is within
`--tolerance-m` (0.3 m) of the person's floor position; pairs are matched
greedily, closest first, one to one. A person whose head top is inside the
image and is not matched is a miss; a detection matched to nobody is a
false alarm; a detection matched to a person whose head is just outside the
image (part of them in view) counts as neither. Recall = hits / people in
view, precision = hits / (hits + false alarms).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from simdata import HeadFrame, evaluation_clip

from agent.config_base import parse_size_px
from agent.detect import OnnxDetector, OnnxDetectorConfig
from agent.evaluate import HEAD_LOW_SCORE_BY_VIEWS, HEAD_TOP_HEIGHT_M
from agent.geometry.camera import CameraModel
from agent.geometry.projector import CameraProjector
from agent.sim.installer import head_detector_setting
from agent.sim.scenarios import get_scenario
from agent.types import Frame, FrameMeta

SCENARIOS = ("entrance", "aisle", "checkout", "busy", "night")
SEEDS = (1, 2, 3)
MODELS_DIR = Path(__file__).parent


@dataclass
class Score:
    """Hits, misses, false alarms and the floor errors of the hits (metres)."""

    hits: int = 0
    misses: int = 0
    false_alarms: int = 0
    errors_m: list[float] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.hits += other.hits
        self.misses += other.misses
        self.false_alarms += other.false_alarms
        self.errors_m.extend(other.errors_m)

    @property
    def recall(self) -> float:
        return self.hits / max(1, self.hits + self.misses)

    @property
    def precision(self) -> float:
        return self.hits / max(1, self.hits + self.false_alarms)


def score_frame(truth: HeadFrame, points_px: np.ndarray, tolerance_m: float) -> Score:
    """Match detections (N, 2) in frame pixels to the frame's people on the floor; see the module doc."""
    people, found = len(truth.heights_m), len(points_px)
    distance = np.full((found, people), np.inf)
    for j in range(people):
        floor = truth.camera.pixels_to_floor(points_px, truth.heights_m[j]) if found else np.zeros((0, 2))
        d = np.hypot(*(floor - truth.floor_m[j]).T)
        distance[:, j] = np.where(np.isfinite(d), d, np.inf)
    score = Score()
    used_det, used_person = set(), set()
    for flat in np.argsort(distance, axis=None):
        i, j = divmod(int(flat), people)
        if distance[i, j] > tolerance_m:
            break
        if i in used_det or j in used_person:
            continue
        used_det.add(i)
        used_person.add(j)
        if truth.in_view[j]:
            score.hits += 1
            score.errors_m.append(float(distance[i, j]))
    score.false_alarms = found - len(used_det)
    score.misses = int(sum(1 for j in range(people) if truth.in_view[j] and j not in used_person))
    return score


def main(argv: list[str] | None = None) -> int:
    """Evaluate the models on every scenario and seed; prints one markdown table per model."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model",
        type=Path,
        action="append",
        help="model file (repeatable); default: the shipped FP32 and INT8 models",
    )
    parser.add_argument("--format", default="auto", help="detector.format for --model")
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="detector.score_threshold for every scenario (default: the installer's tracker.low_score "
        "for the scenario's views, 0.4 with one)",
    )
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--tolerance-m", type=float, default=0.3)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    parser.add_argument(
        "--input-size",
        type=_size,
        default=None,
        metavar="WxH",
        help="model input for every scenario (default: each scenario's installer config's)",
    )
    parser.add_argument(
        "--views",
        type=int,
        choices=(1, 2, 4),
        default=None,
        help="detector.views for every scenario: 2 also runs the model on the mirror image and averages, "
        "4 also upside down (default: each scenario's installer config's)",
    )
    parser.add_argument(
        "--same-person-m",
        type=float,
        default=OnnxDetectorConfig.model_fields["same_person_m"].default,
        help="detector.same_person_m (0: keep a weak detection beside a strong one)",
    )
    parser.add_argument(
        "--same-head-m",
        type=float,
        default=OnnxDetectorConfig.model_fields["same_head_m"].default,
        help="detector.same_head_m (0: keep two peaks this close whatever they score)",
    )
    args = parser.parse_args(argv)
    paths = args.model or [MODELS_DIR / "footfall_head_fp32.onnx", MODELS_DIR / "footfall_head_int8.onnx"]
    built: dict[tuple[Path, str], OnnxDetector] = {}

    def input_size(scenario: str) -> tuple[int, int] | None:
        return args.input_size or head_detector_setting(get_scenario(scenario)).input_size

    def views(scenario: str) -> Literal[1, 2, 4]:
        return head_detector_setting(get_scenario(scenario)).views if args.views is None else args.views

    def threshold(scenario: str) -> float:
        return HEAD_LOW_SCORE_BY_VIEWS[views(scenario)] if args.threshold is None else float(args.threshold)

    def detector(path: Path, scenario: str, camera: CameraModel) -> OnnxDetector:
        """The detector as a calibrated installation runs it: the scenario's settings and camera."""
        if (path, scenario) not in built:
            config = OnnxDetectorConfig(
                type="onnx",
                model=path,
                format=args.format,
                score_threshold=threshold(scenario),
                input_size=input_size(scenario),
                views=views(scenario),
                same_person_m=args.same_person_m,
                same_head_m=args.same_head_m,
            )
            built[(path, scenario)] = OnnxDetector(config, CameraProjector(camera, HEAD_TOP_HEIGHT_M))
        return built[(path, scenario)]

    scores = {(p, s): Score() for p in paths for s in args.scenarios}  # by path: two runs' files share a name
    started = time.monotonic()
    frames = 0
    for scenario in args.scenarios:
        for seed in args.seeds:
            for index, truth in enumerate(evaluation_clip(scenario, seed, args.fps)):
                h, w = truth.image.shape[:2]
                frame = Frame(FrameMeta(index, index / args.fps, w, h), truth.image)
                frames += 1
                for path in paths:
                    found = detector(path, scenario, truth.camera).detect(frame).points_px
                    scores[(path, scenario)].add(score_frame(truth, found, args.tolerance_m))

    def setting(name: str) -> str:
        size = input_size(name)
        size_text = "the model's input" if size is None else f"{size[0]}x{size[1]}"
        return f"{name} {size_text}, {views(name)} view(s), threshold {threshold(name):g}"

    settings = "; ".join(setting(name) for name in args.scenarios)
    print(
        f"{frames} frames ({', '.join(args.scenarios)}; seeds {args.seeds}; {args.fps:g} fps; 640x480), "
        f"{settings}, tolerance {args.tolerance_m} m, "
        f"{time.monotonic() - started:.0f} s\n"
    )
    for path in paths:
        total = Score()
        print(f"### {path.name if [p.name for p in paths].count(path.name) == 1 else path}\n")
        print("| scenario | people in view | recall | precision | false alarms | median error (m) |")
        print("|---|---:|---:|---:|---:|---:|")
        for scenario in args.scenarios:
            s = scores[(path, scenario)]
            total.add(s)
            _row(scenario, s)
        _row("**all**", total)
        print()
    return 0


def _size(text: str) -> tuple[int, int]:
    """ "448x336" -> (448, 336).

    Raises:
        argparse.ArgumentTypeError: not WIDTHxHEIGHT in pixels.
    """
    size = parse_size_px(text)
    if size is None:
        raise argparse.ArgumentTypeError(f"input size {text!r} should be WIDTHxHEIGHT, e.g. 448x336")
    return size


def _row(name: str, s: Score) -> None:
    median = float(np.median(s.errors_m)) if s.errors_m else float("nan")
    print(
        f"| {name} | {s.hits + s.misses} | {s.recall:.4f} | {s.precision:.4f} | {s.false_alarms} | {median:.3f} |"
    )


if __name__ == "__main__":
    sys.exit(main())
