"""Train the shipped person-height network on simulated stores and export it to ONNX.

    .venv/bin/pip install -e '.[train]'        # torch 2.13.0 CPU, onnx, onnxscript
    .venv/bin/python models/train_height.py    # the shipped model: about 10 minutes on 2 cores

Steps: render 2 x `--episodes` randomised scenario variants (`simdata.randomised_scenario`, training
seeds from TRAIN_SEED_BASE + `--first-episode`, at one of the camera sizes the detector's training
uses) on `--workers` processes: the first half with the scenarios' own people, the second with every
person re-drawn at a height from 1.0 to 2.05 m (uniform: the stores' own people are 1.50-1.84 m 9
times in 10, and a network trained on them alone read a 1.85 m and a 1.94 m cleaner 0.09 and 0.18 m
short, models/TRIALS.md); take a crop around each visible head top, jittered by the detector's
point noise (`agent.detect.person_height.head_crops`) with its target `log s`
(`height_to_scale`); train `HeightNet` (L1 loss, a tenth of the episodes held out); export
`footfall_height.onnx` (opset 18, weights inside the file, any batch size). Every random choice
comes from `--seed`.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from simdata import TRAIN_SEED_BASE, TrainingEpisode, head_truth, training_episode

from agent.detect.person_height import CROP_PLANE_M, CROP_PX, head_crops, height_to_scale
from agent.sim.people import Person

HEIGHTS_M = (1.0, 2.05)  # the range every rendered person's height is drawn from (uniform)
POINT_NOISE_PX = 1.5  # the detector's head-point scatter (std, px at 640 wide), applied to the crops' centres


def episode_crops(seed: int, uniform: bool, frames: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Crops (M, CROP_PX, CROP_PX, 3) and targets `log s` (M,) of `frames` frames of training seed `seed`,
    its people at the heights the scenario gives them or, `uniform`, re-drawn from `HEIGHTS_M`."""
    return episode_crops_of(training_episode(seed, _uniform_heights(seed) if uniform else None), frames)


def episode_crops_of(episode: TrainingEpisode, frames: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Crops and targets of `frames` frames of `episode` (see `episode_crops`)."""
    renderer, people, rng = episode.renderer, episode.people, episode.rng
    width = renderer.camera.width_px
    crops, targets = [np.zeros((0, CROP_PX, CROP_PX, 3), np.uint8)], [np.zeros(0)]
    for t_s in episode.frame_times_s(frames):
        renderer.frame(float(t_s) - 0.2)  # the auto exposure follows the lights
        image = renderer.frame(float(t_s))
        heads, tops_m, _, inside = head_truth(renderer.camera, people, float(t_s))
        jittered = heads[inside] + rng.normal(0, POINT_NOISE_PX * width / 640, (int(inside.sum()), 2))
        found, whole = head_crops(
            image, renderer.camera, renderer.camera.pixels_to_floor(jittered, CROP_PLANE_M)
        )
        crops.append(found[whole])
        targets.append(height_to_scale(renderer.camera, tops_m[inside][whole]))
    return np.concatenate(crops), np.concatenate(targets)


def _uniform_heights(seed: int) -> Callable[[list[Person]], list[Person]]:
    """Every person re-drawn at a height from `HEIGHTS_M` (uniform), from a generator of their own."""
    heights = np.random.default_rng(seed + 777)

    def regrow(people: list[Person]) -> list[Person]:
        return [
            dataclasses.replace(
                p, appearance=dataclasses.replace(p.appearance, height_m=float(heights.uniform(*HEIGHTS_M)))
            )
            for p in people
        ]

    return regrow


def render(first: int, episodes: int, workers: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crops, targets and each crop's episode number, rendered on `workers` processes: `episodes`
    training seeds from TRAIN_SEED_BASE + `first` with the scenarios' own heights, and as many after
    them with uniform heights."""
    jobs = [(TRAIN_SEED_BASE + first + k, k >= episodes) for k in range(2 * episodes)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        results = pool.starmap(episode_crops, jobs, chunksize=4)
    episode = np.concatenate([np.full(len(t), k) for k, (_, t) in enumerate(results)])
    return np.concatenate([c for c, _ in results]), np.concatenate([t for _, t in results]), episode


def build_net():  # type: ignore[no-untyped-def]
    """`HeightNet`: three pairs of 3 x 3 convolutions (16, 32, 48 channels, batch norm, ReLU, two
    2 x 2 poolings) and two dense layers, from a crop (N, 3, 24, 24) in [0, 1] to `log s` (N,)."""
    import torch
    from torch import nn

    def block(inputs: int, outputs: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(inputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU())

    class HeightNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(
                block(3, 16), block(16, 16), nn.MaxPool2d(2),
                block(16, 32), block(32, 32), nn.MaxPool2d(2),
                block(32, 48), block(48, 48),
            )  # fmt: skip
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(48 * 6 * 6, 64), nn.ReLU(), nn.Linear(64, 1))

        def forward(self, crops: torch.Tensor) -> torch.Tensor:
            return self.head(self.features(crops - 0.5))[:, 0]

    return HeightNet()


def train(crops: np.ndarray, targets: np.ndarray, episode: np.ndarray, steps: int, seed: int):  # type: ignore[no-untyped-def]
    """The trained network; prints the held-out episodes' error every 500 steps."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    images = torch.tensor(crops).permute(0, 3, 1, 2).float() / 255.0
    labels = torch.tensor(targets).float()
    held_out = episode % 10 == 0
    train_rows, test_rows = np.flatnonzero(~held_out), torch.tensor(np.flatnonzero(held_out))
    net = build_net()
    optimiser = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, 3e-3, total_steps=steps)
    started = time.monotonic()
    for step in range(steps):
        batch = torch.tensor(rng.choice(train_rows, 128))
        net.train()
        loss = (net(augment(images[batch], rng)) - labels[batch]).abs().mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 500 == 0 or step == steps - 1:
            net.eval()
            with torch.no_grad():
                predicted = torch.cat(
                    [net(images[test_rows[i : i + 1024]]) for i in range(0, len(test_rows), 1024)]
                )
            error = (predicted - labels[test_rows]).abs()
            print(
                f"step {step}: loss {loss.item():.4f}, held-out episodes' error in log s: mean {error.mean():.4f}, "
                f"median {error.median():.4f} ({time.monotonic() - started:.0f} s)",
                flush=True,
            )
    return net.eval()


def augment(batch, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """A quarter turn or flip (a head's scale does not depend on its direction) and colour jitter."""
    import torch

    batch = torch.rot90(batch, int(rng.integers(4)), (2, 3))
    if rng.random() < 0.5:
        batch = batch.flip(3)
    if rng.random() < 0.5:
        batch = batch[:, torch.tensor(rng.permutation(3))]
    gain = 1 + 0.3 * (torch.tensor(rng.random((len(batch), 3, 1, 1))).float() - 0.5)
    offset = 0.2 * (torch.tensor(rng.random((len(batch), 1, 1, 1))).float() - 0.5)
    return (batch * gain + offset).clamp(0, 1)


def export(net, path: Path) -> None:  # type: ignore[no-untyped-def]
    """ONNX, opset 18, weights inside the file, any batch size."""
    import torch

    batch = torch.export.Dim("crops", min=1, max=4096)
    program = torch.onnx.export(
        net,
        (torch.zeros(2, 3, CROP_PX, CROP_PX),),
        dynamo=True,
        external_data=False,
        opset_version=18,
        input_names=["crops"],
        output_names=["log_scale"],
        dynamic_shapes={"crops": {0: batch}},
    )
    program.save(str(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent, help="folder for the model"
    )
    parser.add_argument(
        "--episodes",
        type=int,
        default=1000,
        help="training scenario variants to render with their people's own heights, and as many again "
        "with uniform heights",
    )
    parser.add_argument(
        "--first-episode", type=int, default=100, help="the first one's seed after TRAIN_SEED_BASE"
    )
    parser.add_argument("--steps", type=int, default=6000, help="batches of 128 crops to train on")
    parser.add_argument("--workers", type=int, default=2, help="rendering processes")
    parser.add_argument("--seed", type=int, default=0, help="for the split, batches and augmentation")
    args = parser.parse_args(argv)
    started = time.monotonic()
    crops, targets, episode = render(args.first_episode, args.episodes, args.workers)
    print(
        f"rendered {len(crops)} crops from {2 * args.episodes} episodes in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    net = train(crops, targets, episode, args.steps, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    export(net, args.out / "footfall_height.onnx")
    print(f"wrote {args.out / 'footfall_height.onnx'} ({time.monotonic() - started:.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
