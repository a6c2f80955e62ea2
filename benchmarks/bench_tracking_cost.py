"""Tracking and counting cost as the crowd grows: ours against supervision ByteTrack + LineZone and norfair.

    .venv/bin/python benchmarks/bench_tracking_cost.py [--people 1,10,50,100,200] [--frames 300] [--quick]
        [--plot benchmarks/tracking_cost.png] [--profile 50]

Needs the bench extra and norfair (benchmarks/README.md). One thread: the
BLAS/OpenMP thread counts are set to 1 before NumPy is imported and the
process is pinned to one CPU where the OS allows.

Input, identical for every tracker. For each crowd size N, N simulated
walkers are in view at every moment on a square floor whose side grows with
N (0.3 people per m², the simulated `busy` shop's density; at least 6 m):
each walks at 0.8-1.6 m/s with a slowly wandering heading, and whoever
leaves the floor is replaced by a newcomer entering at a random edge. At
10 frames/s each frame's detections are the true positions plus 5 cm of
noise (standard deviation per axis), 5 % missed, scores around 0.75 (some
below 0.5, as a half-hidden head), and false alarms (Poisson, 2 % of N per
frame, at least 0.5) anywhere, score 0.1-0.6. A fixed seed makes every run
see the same frames. One counting line crosses the whole floor at y = 0;
the truth counts every change of side of a true walker.

What each tracker gets and what is timed (per frame, CPU time of this
thread, `time.thread_time`, so other load on the machine does not inflate
it; wall time is printed too). Building each library's input type from the
arrays is included, since a user must do it:

- `footfall track+line`: `FloorPoints` in metres -> `build_tracker` (the
  `kalman` config's defaults, and the floor square as the camera's view, as
  the agent gives its tracker the floor its camera sees) ->
  `build_line_counter` (default 0.2 m hysteresis, immediate mode);
- `footfall full`: the same plus what the agent does per frame after the
  tracker: `ZoneWatcher.update` on four quadrant zones and
  `BucketContents.add` (line totals, zone occupancy, dwell and flow sets,
  heatmap person-seconds and distinct people on a 0.5 m grid). Closing a
  bucket into reports happens once a bucket, not per frame, and is left out;
- `sv ByteTrack+LineZone`: supervision 0.30.9, `ByteTrack(frame_rate=10)`
  with its other defaults, then `LineZone.trigger` (default four-corner
  anchors); boxes are 0.5 m squares around the same points in a pixel-like
  frame, 50 px per metre;
- `norfair+line`: norfair 2.3 `Tracker(distance_function="euclidean",
  distance_threshold=0.8)` on the points in metres (as benchmarks/tracking_tud.py),
  then the same counting rule as ours written for its output (a track counts
  when its side, taken only 0.2 m or more from the line, changes); its state
  dies with the track.

"count error" is (|in - true in| + |out - true out|) / (true in + true out).
Each library's "in" side is found with one walker crossing the line alone
before timing, so a mirrored convention cannot pass for an error.
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # run as a script: one BLAS/OpenMP thread, set before NumPy is imported
    for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[_variable] = "1"

import argparse
import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

FPS = 10.0
DENSITY_PER_M2 = 0.3
MIN_SIDE_M = 6.0
PX_PER_M = 50.0
BOX_M = 0.5
NOISE_M = 0.05
MISS = 0.05
FALSE_PER_PERSON = 0.02
HYSTERESIS_M = 0.2
LOOK_SIZE = 6  # as agent.track.appearance's descriptors
LOOK_NOISE = 0.02  # per number and frame: a person's descriptor moves a median 0.03 between frames
LOOKS_SEED_OFFSET = 7919
WARM_UP_FRAMES = 10  # not timed: first confirmations, first allocations
DEFAULT_PEOPLE = (1, 10, 50, 100, 200)
PLOT = Path(__file__).resolve().parent / "tracking_cost.png"


@dataclass(frozen=True)
class Scene:
    """Detections for every frame of one crowd size, and the true crossings of the line y = 0.

    `side_m` is the floor's side (centred on 0); `points_m[i]` (K, 2),
    `scores[i]` (K,) and `looks[i]` (K, 6) are frame i's detections and
    their appearance descriptors.
    """

    people: int
    side_m: float
    points_m: list[FloatArray]
    scores: list[FloatArray]
    true_in: int
    true_out: int
    looks: list[FloatArray]


def make_scene(people: int, frames: int, seed: int) -> Scene:
    """`people` walkers in view for `frames` frames at 10 fps, and their noisy detections (see module doc)."""
    rng = np.random.default_rng(seed)
    side_m = max(MIN_SIDE_M, math.sqrt(people / DENSITY_PER_M2))
    half = side_m / 2
    position = rng.uniform(-half, half, (people, 2))
    heading = rng.uniform(-math.pi, math.pi, people)
    speed = rng.uniform(0.8, 1.6, people)
    firm = np.sign(position[:, 1]) * (np.abs(position[:, 1]) >= HYSTERESIS_M)
    true_in = true_out = 0
    all_points, all_scores, all_looks = [], [], []
    # Appearance from its own generator, so the positions are those of runs before looks were added.
    looks_rng = np.random.default_rng(seed + LOOKS_SEED_OFFSET)
    look = looks_rng.uniform(0.2, 0.8, (people, LOOK_SIZE))
    for index in range(frames):
        heading += rng.normal(0.0, 0.15, people) * math.sqrt(1 / FPS)
        position = position + np.c_[np.cos(heading), np.sin(heading)] * (speed / FPS)[:, None]
        # A true passage: firmly (HYSTERESIS_M) on one side, then firmly on the other, as the counters
        # are asked to count; none in the warm-up, before any tracker can have confirmed anyone.
        side = np.sign(position[:, 1]) * (np.abs(position[:, 1]) >= HYSTERESIS_M)
        changed = (side != 0) & (firm != 0) & (side != firm)
        if index >= WARM_UP_FRAMES:
            true_in += int(np.sum(changed & (side > 0)))
            true_out += int(np.sum(changed & (side < 0)))
        firm = np.where(side != 0, side, firm)
        gone = np.flatnonzero(np.any(np.abs(position) > half, axis=1))
        for walker in gone:  # a newcomer at a random edge, walking inwards
            edge = rng.integers(4)
            along = rng.uniform(-half, half)
            inward = (0.0, math.pi / 2, math.pi, -math.pi / 2)[edge]  # from the left, bottom, right, top
            corner = ((-half, along), (along, -half), (half, along), (along, half))[edge]
            position[walker] = corner
            heading[walker] = inward + rng.uniform(-1.0, 1.0)
            speed[walker] = rng.uniform(0.8, 1.6)
            firm[walker] = np.sign(corner[1]) * (abs(corner[1]) >= HYSTERESIS_M)
            look[walker] = looks_rng.uniform(0.2, 0.8, LOOK_SIZE)
        seen = rng.random(people) >= MISS
        points = position[seen] + rng.normal(0.0, NOISE_M, (int(seen.sum()), 2))
        scores = np.clip(rng.normal(0.75, 0.12, len(points)), 0.2, 0.99)
        false_count = rng.poisson(max(0.5, FALSE_PER_PERSON * people))
        false_points = rng.uniform(-half, half, (false_count, 2))
        false_scores = rng.uniform(0.1, 0.6, false_count)
        all_points.append(np.r_[points, false_points])
        all_scores.append(np.r_[scores, false_scores])
        seen_looks = look[seen] + looks_rng.normal(0.0, LOOK_NOISE, (len(points), LOOK_SIZE))
        all_looks.append(np.r_[seen_looks, looks_rng.uniform(0.2, 0.8, (false_count, LOOK_SIZE))])
    return Scene(people, side_m, all_points, all_scores, true_in, true_out, all_looks)


def crossing_scene() -> Scene:
    """One confident walker straight across the line from y < 0 to y > 0: one true "in"."""
    ys = np.linspace(-2.0, 2.0, 41)  # 0.1 m a frame: 1 m/s at 10 fps
    points = [np.array([[0.0, y]]) for y in ys]
    return Scene(
        1, MIN_SIDE_M, points, [np.array([0.9]) for _ in ys], 1, 0, [np.full((1, LOOK_SIZE), 0.5) for _ in ys]
    )


# A runner takes a scene and a per-frame callback slot; it returns (in, out, cpu s per frame, wall s per frame).
@dataclass(frozen=True)
class Run:
    """What one tracker did on one scene: counts and the time of each frame."""

    counted_in: int
    counted_out: int
    cpu_s: list[float]
    wall_s: list[float]


Runner = Callable[[Scene], Run]


def _timed(scene: Scene, step: Callable[[int], tuple[int, int]]) -> Run:
    """Call `step(frame)` for every frame; sum its (in, out) and time each call."""
    counted_in = counted_out = 0
    cpu, wall = [], []
    for index in range(len(scene.points_m)):
        started_cpu, started_wall = time.thread_time(), time.perf_counter()
        add_in, add_out = step(index)
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
        counted_in += add_in
        counted_out += add_out
    return Run(counted_in, counted_out, cpu, wall)


def _line_config(scene: Scene) -> object:
    from agent.analytics.config import LineConfig

    half = scene.side_m / 2
    return LineConfig(name="line", start=(-half, 0.0), end=(half, 0.0), hysteresis_m=HYSTERESIS_M)


def run_ours(scene: Scene, *, full: bool = False, looks: bool = False) -> Run:
    """footfall: Kalman tracker and line counter (and, with `full`, zones and bucket contents; with
    `looks`, the installer's overhead-head settings: appearance, 0.05 m point noise, 0.3 m separation)."""
    from agent.analytics.bucket_contents import BucketContents
    from agent.analytics.config import LineConfig, ZoneConfig
    from agent.analytics.lines import build_line_counter
    from agent.analytics.zones import ZoneWatcher
    from agent.evaluate import HEAD_APPEARANCE_WEIGHT_M, HEAD_MIN_SEPARATION_M, HEAD_POINT_NOISE_M
    from agent.geometry.grid import FloorGrid
    from agent.track import build_tracker
    from agent.track.config import KalmanTrackerConfig
    from agent.types import FloorPoints

    if looks:
        config = KalmanTrackerConfig(
            type="kalman",
            appearance_weight_m=HEAD_APPEARANCE_WEIGHT_M,
            measurement_m=HEAD_POINT_NOISE_M,
            min_separation_m=HEAD_MIN_SEPARATION_M,
        )
    else:
        config = KalmanTrackerConfig(type="kalman")
    half = scene.side_m / 2
    tracker = build_tracker(config, lambda points_m: np.all(np.abs(points_m) <= half, axis=1))
    line = _line_config(scene)
    assert isinstance(line, LineConfig)
    counter = build_line_counter(line)
    quadrants = [
        ZoneConfig(name=f"q{i}", polygon=[(0, 0), (sx * half, 0), (sx * half, sy * half), (0, sy * half)])
        for i, (sx, sy) in enumerate(((1, 1), (-1, 1), (-1, -1), (1, -1)))
    ]
    watcher = ZoneWatcher(quadrants)
    contents = BucketContents(
        line_names=["line"],
        zone_names=[z.name for z in quadrants],
        grid=FloorGrid.covering((-half, -half), (half, half), 0.5),
        min_people_k=3,
    )

    def step(index: int) -> tuple[int, int]:
        appearance = scene.looks[index] if looks else None
        tracks = tracker.update(
            FloorPoints(index / FPS, scene.points_m[index], scene.scores[index], appearance)
        )
        crossings = counter.update(tracks)
        if full:
            contents.add(crossings, tracks, watcher.update(tracks))
        return (
            sum(c.direction == "in" for c in crossings),
            sum(c.direction == "out" for c in crossings),
        )

    return _timed(scene, step)


def _boxes_px(scene: Scene, points_m: FloatArray) -> FloatArray:
    """0.5 m squares around floor points, in the pixel-like frame (50 px/m, origin at the floor corner)."""
    centres = (points_m + scene.side_m / 2) * PX_PER_M
    half_px = BOX_M * PX_PER_M / 2
    return np.hstack([centres - half_px, centres + half_px])


def run_bytetrack(scene: Scene) -> Run:
    """supervision 0.30.9 ByteTrack (documented defaults, true frame rate) and LineZone, on pixel boxes."""
    import supervision as sv

    tracker = sv.ByteTrack(frame_rate=FPS)
    y_px = scene.side_m / 2 * PX_PER_M
    zone = sv.LineZone(start=sv.Point(0.0, y_px), end=sv.Point(scene.side_m * PX_PER_M, y_px))
    boxes = [_boxes_px(scene, points) for points in scene.points_m]

    def step(index: int) -> tuple[int, int]:
        scores = scene.scores[index]
        detections = sv.Detections(
            xyxy=boxes[index],
            confidence=scores.astype(np.float32),
            class_id=np.zeros(len(scores), dtype=int),
        )
        tracked = tracker.update_with_detections(detections)
        crossed_in, crossed_out = zone.trigger(tracked)
        return int(crossed_in.sum()), int(crossed_out.sum())

    return _timed(scene, step)


class SideChangeCounter:
    """The counting rule a norfair user writes: a track counts when its firm side of y = 0 changes.

    A side is firm at `hysteresis_m` or more from the line (as ours); state
    is dropped for ids no longer reported.
    """

    def __init__(self, hysteresis_m: float) -> None:
        self._hysteresis_m = hysteresis_m
        self._firm: dict[int, int] = {}

    def update(self, ids: list[int], ys_m: FloatArray) -> tuple[int, int]:
        """(in, out) counted by this update: in is towards y > 0."""
        counted_in = counted_out = 0
        firm: dict[int, int] = {}
        for track_id, y in zip(ids, ys_m.tolist(), strict=True):
            side = 1 if y >= self._hysteresis_m else -1 if y <= -self._hysteresis_m else 0
            before = self._firm.get(track_id, 0)
            if side and before and side != before:
                counted_in += side > 0
                counted_out += side < 0
            firm[track_id] = side or before
        self._firm = firm
        return counted_in, counted_out


def run_norfair(scene: Scene) -> Run:
    """norfair 2.3 on points in metres (Euclidean, gated at 0.8 m like ours) and a side-change counter."""
    import norfair

    tracker = norfair.Tracker(distance_function="euclidean", distance_threshold=0.8)
    counter = SideChangeCounter(HYSTERESIS_M)

    def step(index: int) -> tuple[int, int]:
        detections = [
            norfair.Detection(point[None, :], scores=np.array([score]))
            for point, score in zip(scene.points_m[index], scene.scores[index], strict=True)
        ]
        objects = tracker.update(detections)
        ys = np.array([o.estimate[0, 1] for o in objects], dtype=float)
        return counter.update([-1 if o.id is None else o.id for o in objects], ys)  # ids set once shown

    return _timed(scene, step)


TRACKERS: dict[str, Runner] = {
    "footfall track+line": run_ours,
    "footfall full": lambda scene: run_ours(scene, full=True),
    "footfall full+looks": lambda scene: run_ours(scene, full=True, looks=True),
    "sv ByteTrack+LineZone": run_bytetrack,
    "norfair+line": run_norfair,
}
REFERENCE = "sv ByteTrack+LineZone"


@dataclass(frozen=True)
class Row:
    """One table row."""

    people: int
    tracker: str
    cpu_ms: float
    wall_ms: float
    counted_in: int
    counted_out: int
    true_in: int
    true_out: int

    @property
    def count_error(self) -> float:
        """(|in - true in| + |out - true out|) / (true in + true out)."""
        total = self.true_in + self.true_out
        wrong = abs(self.counted_in - self.true_in) + abs(self.counted_out - self.true_out)
        return wrong / total if total else float(wrong > 0)


def in_is_positive(runner: Runner) -> bool:
    """Whether `runner` calls the walk towards y > 0 "in" (False: its convention is mirrored)."""
    run = runner(crossing_scene())
    if run.counted_in + run.counted_out != 1:
        raise RuntimeError(f"the lone crossing walker was counted {run.counted_in} in, {run.counted_out} out")
    return run.counted_in == 1


def measure(people: list[int], frames: int, seed: int) -> list[Row]:
    """Every tracker on every crowd size, on the same scenes."""
    rows = []
    positive = {name: in_is_positive(runner) for name, runner in TRACKERS.items()}
    for count in people:
        scene = make_scene(count, frames + WARM_UP_FRAMES, seed)
        for name, runner in TRACKERS.items():
            run = runner(scene)
            counted_in, counted_out = (
                (run.counted_in, run.counted_out) if positive[name] else (run.counted_out, run.counted_in)
            )
            rows.append(
                Row(
                    count,
                    name,
                    1000 * float(np.mean(run.cpu_s[WARM_UP_FRAMES:])),
                    1000 * float(np.mean(run.wall_s[WARM_UP_FRAMES:])),
                    counted_in,
                    counted_out,
                    scene.true_in,
                    scene.true_out,
                )
            )
            print(f"  {count:>4} people  {name:<22} {rows[-1].cpu_ms:8.3f} ms/frame", file=sys.stderr)
    return rows


def format_table(rows: list[Row]) -> str:
    """Markdown table: people, tracker, CPU and wall ms/frame, ratio to ByteTrack+LineZone, counts."""
    reference = {r.people: r.cpu_ms for r in rows if r.tracker == REFERENCE}
    lines = [
        "| people in view | tracker | CPU ms/frame | wall ms/frame | x faster than ByteTrack+LineZone "
        "| in / true | out / true | count error |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.people} | {r.tracker} | {r.cpu_ms:.3f} | {r.wall_ms:.3f} | "
            f"{reference[r.people] / r.cpu_ms:.1f} | {r.counted_in} / {r.true_in} | "
            f"{r.counted_out} / {r.true_out} | {r.count_error:.1%} |"
        )
    return "\n".join(lines)


def plot(rows: list[Row], path: Path) -> None:
    """CPU ms per frame against people in view, log y (matplotlib, Agg backend: no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=110)
    for name in TRACKERS:
        mine = [r for r in rows if r.tracker == name]
        axes.plot([r.people for r in mine], [r.cpu_ms for r in mine], marker="o", label=name)
    axes.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="goal: 1 ms at 50 people")
    axes.set_yscale("log")
    axes.set_xlabel("people in view")
    axes.set_ylabel("CPU ms per frame (one thread)")
    axes.set_title("Tracking + line counting cost on identical detections")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def profile(people: int, frames: int, seed: int) -> None:
    """cProfile of `footfall full` at `people`, top functions by own time."""
    import cProfile
    import pstats

    run_ours(make_scene(people, 20, seed + 1), full=True)  # imports and first allocations: not profiled
    scene = make_scene(people, frames, seed)
    profiler = cProfile.Profile()
    profiler.enable()
    run_ours(scene, full=True)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(18)


def main(argv: list[str] | None = None) -> int:
    """Print the table and write the plot."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", default=",".join(map(str, DEFAULT_PEOPLE)), help="crowd sizes")
    parser.add_argument("--frames", type=int, default=300, help="timed frames per crowd size (10 fps)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="100 frames, for a smoke run")
    parser.add_argument("--plot", default=str(PLOT), help="PNG to write ('' for none)")
    parser.add_argument("--profile", type=int, metavar="PEOPLE", help="also profile `footfall full`")
    args = parser.parse_args(argv)
    frames = 100 if args.quick else args.frames
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    warnings.filterwarnings("ignore", message="The `ByteTrack` was deprecated", category=FutureWarning)
    import norfair  # noqa: F401  imported before timing: import time is no tracker's speed
    import supervision  # noqa: F401

    people = [int(v) for v in args.people.split(",")]
    print(
        f"{frames} timed frames at {FPS:g} fps per crowd size (after {WARM_UP_FRAMES} warm-up), seed {args.seed}, "
        f"one thread; {DENSITY_PER_M2} people/m², detections: {NOISE_M * 100:g} cm noise, {MISS:.0%} missed, "
        f"false alarms {FALSE_PER_PERSON:.0%} of N per frame\n"
    )
    rows = measure(people, frames, args.seed)
    print(format_table(rows))
    if args.plot:
        plot(rows, Path(args.plot))
        shown = Path(args.plot).resolve()
        print(
            f"\nplot: {shown.relative_to(PLOT.parents[1]) if shown.is_relative_to(PLOT.parents[1]) else shown}"
        )
    if args.profile:
        print(f"\ncProfile, footfall full, {args.profile} people, {frames} frames:")
        profile(args.profile, frames, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
