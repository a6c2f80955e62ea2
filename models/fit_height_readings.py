"""Measure the line the shipped height network's readings follow against the truth, per lens kind.

    .venv/bin/python models/fit_height_readings.py    # about 5 minutes on 2 cores

Renders `--episodes` held-out training-style episodes with every person re-drawn at 1.0-2.05 m and as
many with the stores' own people (training seeds from TRAIN_SEED_BASE + 50000 and + 60000, never used
to train), takes the crops `models/train_height.py` takes (the truth's head tops, jittered), reads
them with `--model`, and prints, per lens kind and set, the least-squares line `read = a + b true` in
`log s`. A network that read without bias would give `a = 0`, `b = 1`; the shipped one pulls readings
towards the middle (models/TRIALS.md, "Undoing the pull towards 1.7 m"). Needs no torch.

`--write pinhole` (or `fisheye`, or both) then stores that lens's line through the 1.0-2.05 m people in
the model's metadata (`read_line_pinhole` = "a b"), and the agent undoes it on every reading under that
lens (`agent.detect.person_height`); run it again after training the network again. The line measured
is the network's own: the metadata already in the model changes nothing here.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from simdata import TRAIN_SEED_BASE, training_episode
from train_height import _uniform_heights, episode_crops_of

from agent.detect.person_height import READ_LINE_KEY

UNIFORM_FROM, OWN_FROM = TRAIN_SEED_BASE + 50000, TRAIN_SEED_BASE + 60000


def episode(seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Crops and targets of training seed `seed` (uniform heights below `OWN_FROM`), and its lens kind."""
    rendered = training_episode(seed, _uniform_heights(seed) if seed < OWN_FROM else None)
    crops, targets = episode_crops_of(rendered)
    return crops, targets, rendered.renderer.camera.kind


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model", type=Path, default=Path(__file__).resolve().parent / "footfall_height.onnx"
    )
    parser.add_argument("--episodes", type=int, default=150, help="episodes of each set")
    parser.add_argument("--workers", type=int, default=2, help="rendering processes")
    parser.add_argument(
        "--write",
        action="append",
        default=[],
        choices=("pinhole", "fisheye"),
        help="store this lens's line (1.0-2.05 m people) in the model's metadata for the agent to undo "
        "(may be given twice)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    seeds = [UNIFORM_FROM + i for i in range(args.episodes)] + [OWN_FROM + i for i in range(args.episodes)]
    with multiprocessing.Pool(args.workers) as pool:
        rendered = pool.map(episode, seeds, chunksize=4)
    print(f"rendered {len(seeds)} episodes in {time.monotonic() - started:.0f} s", flush=True)
    session = ort.InferenceSession(str(args.model), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    uniform_lines: dict[str, tuple[float, float]] = {}
    print("| lens | heights | episodes | crops | line (read = a + b true, log s) | residual std |")
    print("|---|---|---:|---:|---|---:|")
    for kind in ("pinhole", "fisheye"):
        for label, uniform in (("1.0-2.05 m", True), ("the stores' own", False)):
            chosen = [
                r for s, r in zip(seeds, rendered, strict=True) if r[2] == kind and (s < OWN_FROM) == uniform
            ]
            if not chosen:
                continue
            crops = np.concatenate([r[0] for r in chosen])
            truth = np.concatenate([r[1] for r in chosen])
            batch = np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
            read = np.concatenate(
                [
                    np.ravel(session.run(None, {name: batch[i : i + 2048]})[0])
                    for i in range(0, len(batch), 2048)
                ]
            )
            slope, intercept = np.polyfit(truth, read, 1)
            residual = float(np.std(read - (intercept + slope * truth)))
            if uniform:
                uniform_lines[kind] = (float(intercept), float(slope))
            print(
                f"| {kind} | {label} | {len(chosen)} | {len(crops)} | {intercept:+.4f} + {slope:.3f} true | {residual:.4f} |"
            )
    for kind in args.write:
        if kind not in uniform_lines:
            raise SystemExit(
                f"--write {kind}: no {kind} episode among the {len(seeds)} rendered; raise --episodes"
            )
        write_line(args.model, kind, *uniform_lines[kind])
    return 0


def write_line(model: Path, kind: str, intercept: float, slope: float) -> None:
    """Store `read = intercept + slope true` as `model`'s metadata for lens `kind` (replacing an older one)."""
    import onnx

    proto = onnx.load(str(model))
    key = READ_LINE_KEY + kind
    kept = [p for p in proto.metadata_props if p.key != key]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    proto.metadata_props.add(key=key, value=f"{intercept:.4f} {slope:.4f}")
    onnx.save(proto, str(model))
    print(f"{model}: metadata {key} = {intercept:.4f} {slope:.4f}")


if __name__ == "__main__":
    raise SystemExit(main())
