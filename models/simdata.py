"""Simulated overhead frames with exact head points, for training and evaluating the shipped model.

Everything is rendered in RAM by the simulator's public API (`agent.sim`):
`ScenarioRenderer` draws a scenario's store and people through its camera,
and the ground truth comes from the people's paths, never from the pictures:
a head point is `camera.floor_to_pixels(position, height_m)`, the top of the
head seen from the ceiling, which is what `CameraProjector` expects with
`point_height_m` near a person's height.

Training frames come from *randomised variants* of four scenarios (lens,
field of view, mounting height and position, floor style and colour,
ambient light and light banks, exposure, sensor noise, JPEG quality, image
size) with seeds from `TRAIN_SEED_BASE` up. Evaluation uses the named
scenarios exactly as defined, with seeds below `TRAIN_SEED_BASE`, and
includes `checkout`, whose layout and queue behaviour training never sees.
No frame is ever written to disk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from agent.geometry.camera import CameraModel
from agent.sim.people import Person, people_at
from agent.sim.render import ScenarioRenderer
from agent.sim.scenarios import SCENARIOS, CameraSetup, Scenario

TRAIN_SCENARIOS = ("entrance", "aisle", "busy", "night")
HELD_OUT_SCENARIOS = ("checkout",)  # never rendered for training, in any variant
TRAIN_SEED_BASE = 10_000  # training seeds are >= this; evaluation seeds are below it

_FLOOR_STYLES = ("tiles", "wood", "concrete")


@dataclass(frozen=True, eq=False)
class HeadFrame:
    """One rendered frame (BGR uint8, RAM only) and its people's head points (N, 2) in pixels.

    `camera` is the camera the frame was rendered through. Evaluation frames
    are its full size, their points counted as it projects (the top-left
    pixel's centre is 0); training frames are resized to the model's input
    and their points count from the corner (`to_model_input`).

    `heights_m` (N,) are the people's heights and `floor_m` (N, 2) their floor
    positions, for scoring a detection in metres. `in_view` (N,) marks the
    heads inside the image; the others are still listed so a detection of a
    head just outside the edge is neither a hit nor a false alarm.
    """

    image: npt.NDArray[np.uint8]
    camera: CameraModel
    heads_px: npt.NDArray[np.float64]
    heights_m: npt.NDArray[np.float64]
    floor_m: npt.NDArray[np.float64]
    in_view: npt.NDArray[np.bool_]


def head_truth(camera: CameraModel, people: list[Person], t_s: float) -> tuple[np.ndarray, ...]:
    """Head pixels (N, 2), heights (N,), floor positions (N, 2) and in-image flags (N,) of people at `t_s`."""
    present = people_at(people, t_s)
    if not present:
        return np.zeros((0, 2)), np.zeros(0), np.zeros((0, 2)), np.zeros(0, bool)
    floor = np.array([p.position_m(t_s) for p in present], dtype=np.float64)
    heights = np.array([p.appearance.height_m for p in present], dtype=np.float64)
    heads = camera.floor_to_pixels(floor, heights)
    finite = np.isfinite(heads).all(axis=1)
    heads = np.where(finite[:, None], heads, -1e4)
    inside = camera.in_image(heads) & finite
    return heads, heights, floor, inside


def randomised_scenario(rng: np.random.Generator) -> Scenario:
    """A training variant of one of `TRAIN_SCENARIOS`: new lens, height, position, floor and lights."""
    base = SCENARIOS[TRAIN_SCENARIOS[int(rng.integers(len(TRAIN_SCENARIOS)))]]
    fisheye = bool(rng.random() < 0.35)
    hfov = float(rng.uniform(130.0, 185.0) if fisheye else rng.uniform(75.0, 112.0))
    height = float(rng.uniform(2.7, 5.2))
    bx, by = base.camera.position_xy_m
    camera = CameraSetup(
        "fisheye" if fisheye else "pinhole",
        hfov,
        height,
        (bx + float(rng.uniform(-1.0, 1.0)), by + float(rng.uniform(-0.8, 0.8))),
    )
    floor_bgr = tuple(int(c) for c in np.clip(rng.normal(150, 45, size=3), 40, 235))
    layout = dataclasses.replace(base.layout, floor=_FLOOR_STYLES[int(rng.integers(3))], floor_bgr=floor_bgr)
    if base.name == "night" or rng.random() < 0.2:
        lighting = base.lighting if rng.random() < 0.5 else SCENARIOS["night"].lighting
    else:
        levels = tuple(float(v) for v in rng.uniform(0.3, 1.0, size=3))
        lighting = _constant(levels)
    return dataclasses.replace(
        base, camera=camera, layout=layout, lighting=lighting, ambient=float(rng.uniform(0.05, 0.6))
    )


def _constant(levels: tuple[float, ...]):  # type: ignore[no-untyped-def]
    def lighting(_t_s: float) -> tuple[float, ...]:
        return levels

    return lighting


def has_fisheye(seed: int) -> bool:
    """Whether the randomised scenario of training seed `seed` has a fisheye lens (no rendering)."""
    return randomised_scenario(np.random.default_rng(seed)).camera.kind == "fisheye"


def fisheye_training_seeds(first: int, count: int) -> list[int]:
    """The first `count` training seeds from `first` on whose randomised scenario has a fisheye lens."""
    seeds, seed = [], first
    while len(seeds) < count:
        if has_fisheye(seed):
            seeds.append(seed)
        seed += 1
    return seeds


@dataclass(frozen=True, eq=False)
class TrainingEpisode:
    """One randomised training scenario, rendered through `renderer`: its `people`, how long it runs
    (`clip_s`) and the generator its other random choices come from (`rng`)."""

    renderer: ScenarioRenderer
    people: list[Person]
    clip_s: float
    rng: np.random.Generator

    def frame_times_s(self, frames: int) -> npt.NDArray[np.float64]:
        """`frames` times (s) to render, sorted, drawn from `rng` inside the clip."""
        return np.sort(self.rng.uniform(0.5, self.clip_s - 0.5, size=frames))


def training_episode(
    seed: int, regrow: Callable[[list[Person]], list[Person]] | None = None
) -> TrainingEpisode:
    """Training seed `seed`'s randomised scenario (camera, floor, lights, one of a few picture sizes and
    a sensor's exposure, JPEG quality and noise), its people changed by `regrow` when given (a new
    height for each: `train_height.py`) before they are drawn.

    Raises:
        ValueError: if `seed` is below TRAIN_SEED_BASE (those seeds are kept for evaluation).
    """
    if seed < TRAIN_SEED_BASE:
        raise ValueError(
            f"training seed {seed} is below {TRAIN_SEED_BASE}: those are held out for evaluation"
        )
    rng = np.random.default_rng(seed)
    scenario = randomised_scenario(rng)
    width, height = ((640, 480), (640, 480), (480, 360), (800, 600))[int(rng.integers(4))]
    clip_s = max(scenario.clip_s, 20.0)
    people = scenario.people(seed, 0.0, clip_s)
    if regrow is not None:
        people = regrow(people)
    renderer = ScenarioRenderer(
        scenario,
        people,
        width,
        height,
        seed=seed,
        exposure_s=float(rng.uniform(1 / 250, 1 / 30)),
        jpeg_quality=None if rng.random() < 0.3 else int(rng.integers(35, 96)),
        noise_sigma=float(rng.uniform(0.5, 7.0)),
    )
    return TrainingEpisode(renderer, people, clip_s, rng)


def training_frames(seed: int, frames: int, size: tuple[int, int]) -> Iterator[HeadFrame]:
    """`frames` frames of one randomised scenario (seed >= TRAIN_SEED_BASE), resized to `size` (w, h) pixels.

    Frames are rendered at one of a few camera resolutions and resized with
    `cv2.INTER_AREA`, the same resize the detector uses. Head points are
    in the resized image's pixels, counted from its corner (`to_model_input`).

    Raises:
        ValueError: if `seed` is below TRAIN_SEED_BASE (those seeds are kept for evaluation).
    """
    episode = training_episode(seed)
    renderer, people = episode.renderer, episode.people
    times = episode.frame_times_s(frames)
    for t_s in times:
        # Two frames before each kept one let the auto exposure follow the lights.
        renderer.frame(float(t_s) - 0.2)
        image = renderer.frame(float(t_s))
        heads, heights, floor, inside = head_truth(renderer.camera, people, float(t_s))
        small, small_heads = to_model_input(image, heads, size)
        yield HeadFrame(small, renderer.camera, small_heads, heights, floor, inside)


def to_model_input(
    image: npt.NDArray[np.uint8], heads_px: npt.NDArray[np.float64], size: tuple[int, int]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float64]]:
    """`image` resized to `size` (w, h) as the detector resizes a frame, and its head points (N, 2) in it.

    The points come in as OpenCV counts pixels (the top-left pixel's centre is
    0, as the camera projects and the renderer draws) and go out as the
    model's outputs count them (from the top-left corner: that pixel spans 0
    to 1), which is what the training targets, the flips in `train.augment` and
    the detector's mapping back (`InputFit.points_to_frame`) take (models/README.md,
    "Pixel convention").
    """
    height, width = image.shape[:2]
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    scale = np.array([size[0] / width, size[1] / height])
    return np.asarray(small, dtype=np.uint8), (heads_px + 0.5) * scale


def evaluation_clip(
    name: str, seed: int, fps: float, width_px: int = 640, height_px: int = 480
) -> Iterator[HeadFrame]:
    """Every frame of scenario `name`'s clip at `fps`, full size, as the named scenario defines it.

    Raises:
        ValueError: if `seed` is a training seed.
        KeyError: for an unknown scenario.
    """
    if seed >= TRAIN_SEED_BASE:
        raise ValueError(f"evaluation seed {seed} is a training seed (>= {TRAIN_SEED_BASE})")
    scenario = SCENARIOS[name]
    people = scenario.people(seed)
    renderer = ScenarioRenderer(scenario, people, width_px, height_px, seed=seed)
    for k in range(int(scenario.clip_s * fps)):
        t_s = k / fps
        image = renderer.frame(t_s)
        heads, heights, floor, inside = head_truth(renderer.camera, people, t_s)
        yield HeadFrame(image, renderer.camera, heads, heights, floor, inside)
