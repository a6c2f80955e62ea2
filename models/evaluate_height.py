"""Held-out accuracy of the height model: each person's height as it reads them, against the truth.

    .venv/bin/python models/evaluate_height.py              # the model card's table, about 15 s
    .venv/bin/python models/evaluate_height.py --raw        # the network's readings, no read line undone

Clips: every named scenario exactly as defined (`agent.sim.scenarios`), seeds below the training seeds
(`simdata.TRAIN_SEED_BASE`), at 480 x 360 as the installer's configs run, a frame every `--every-s`.
In each frame every person whose head top is in the picture is read at the truth's head top plus
`--noise-px` of scatter (std, px; the detector's), taken to the floor at 1.7 m as the agent's points
are (`agent.detect.person_height.PersonHeights`, with the model's read lines unless `--raw`). A
person's reading is the median of theirs; the table gives, per scenario, the median over the people of
the error (m), its signed median, its 90th percentile, and the same for a guess of 1.7 m for everyone.
Needs no torch.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
from simdata import evaluation_clip

from agent.detect.person_height import PersonHeights

SCENARIOS = ("aisle", "busy", "checkout", "entrance", "night")
GUESS_M = 1.7


def person_readings(
    reader: PersonHeights, name: str, seed: int, every_s: float, noise_px: float, frames: int | None = None
) -> dict[float, list[float]]:
    """Each person's readings (m) in scenario `name`'s clip `seed` (its first `frames` frames read, or
    all), keyed by their true height (m)."""
    rng = np.random.default_rng(seed)
    readings: dict[float, list[float]] = {}
    clip = evaluation_clip(name, seed, fps=1.0 / every_s, width_px=480, height_px=360)
    for frame in itertools.islice(clip, frames):
        seen = frame.in_view
        heads_px = frame.heads_px[seen] + rng.normal(0.0, noise_px, (int(seen.sum()), 2))
        heights = reader.heights_m(
            frame.image, frame.camera, frame.camera.pixels_to_floor(heads_px, 1.7), 1.7
        )
        for true_m, read_m in zip(frame.heights_m[seen], heights, strict=True):
            if np.isfinite(read_m):
                readings.setdefault(float(true_m), []).append(float(read_m))
    return readings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model", type=Path, default=Path(__file__).resolve().parent / "footfall_height.onnx"
    )
    parser.add_argument("--seeds", default="2,3", help="held-out seeds, comma-separated (default 2,3)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated (default: all)")
    parser.add_argument(
        "--every-s", type=float, default=0.5, help="seconds between frames read (default 0.5)"
    )
    parser.add_argument(
        "--noise-px", type=float, default=1.1, help="head-point scatter, std px (default 1.1)"
    )
    parser.add_argument("--raw", action="store_true", help="the network's readings: undo no read line")
    args = parser.parse_args(argv)
    seeds = [int(seed) for seed in args.seeds.split(",")]
    reader = PersonHeights(args.model, read_lines=not args.raw)
    print(
        "| scenario | people | median error | median signed | 90th pct | 1.7 m for everyone: median | 90th pct |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in args.scenarios.split(","):
        started = time.monotonic()
        signed, guessed = [], []
        for seed in seeds:
            for true_m, read in person_readings(reader, name, seed, args.every_s, args.noise_px).items():
                signed.append(float(np.median(read)) - true_m)
                guessed.append(abs(GUESS_M - true_m))
        errors = np.abs(signed)
        print(f"{name}: {len(errors)} people, {time.monotonic() - started:.0f} s", file=sys.stderr)
        print(
            f"| `{name}` | {len(errors)} | {np.median(errors):.3f} | {np.median(signed):+.3f} | "
            f"{np.percentile(errors, 90):.3f} | {np.median(guessed):.3f} | {np.percentile(guessed, 90):.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
