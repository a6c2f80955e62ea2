"""Our Kalman tracker against supervision's ByteTrack and norfair on real TUD ground truth.

    python benchmarks/tracking_tud.py [--seeds 1-8] [--frames N]

By default every figure is the mean over eight noise draws (seeds 1 to 8;
IDs, FN and Frag are mean counts); `--seeds 7` shows one draw, whose IDF1 can differ
from the mean by 0.05, so compare trackers on the mean.

Needs the bench extra and norfair, installed as benchmarks/README.md says.
The ground truth of TUD-Campus (71 frames) and TUD-Stadtmitte (179 frames),
both 640x480 at 25 fps (MOTChallenge 2015), ships inside the `motmetrics`
package. Each ground-truth box is turned into a noisy detection with a fixed
seed: 10 % dropped, centre jittered by 5 % of the box size, size by 5 %, a
score drawn around 0.7 (some fall below 0.5, as a half-hidden person does),
and on average one false positive per frame (a person-sized box anywhere,
score 0.1 to 0.6). All three trackers get these very same detections.

Units. Our tracker works on the floor in metres; TUD is a side view in
pixels with no floor calibration, so every position is the box's foot point
(bottom centre) scaled to pseudo-metres by one factor per sequence:
metres = pixels * 0.5 / (median detection width in pixels), so a typical
person is 0.5 m wide. ByteTrack gets the boxes in pixels (it needs boxes for
IoU); norfair gets the foot points in pseudo-metres (its Euclidean distance),
and also, in a second row, the boxes in pixels (its IoU distance).

Scoring, identical for every tracker: in each frame, each track the tracker
reports (ours: its filtered position; ByteTrack: the box it returns with a
tracker id; norfair: each active object's estimate) becomes a foot point in
pseudo-metres, and motmetrics matches it to the ground-truth foot points
within 0.5 m (one person width). Besides MOTA and IDF1: IDs, identity
switches; FN, true positions no track covered (a dropped detection, a
track not yet confirmed); Frag, interruptions of a true path. "frames/s" is update calls per second of
the tracker alone (detection making and scoring excluded), pinned to one
CPU; each runner's first update includes its own set-up.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

SEQUENCES = ("TUD-Campus", "TUD-Stadtmitte")
FPS = 25.0  # both sequences, per the MOTChallenge 2015 sequence list
IMAGE_WH = (640.0, 480.0)
PERSON_WIDTH_M = 0.5
MATCH_M = 0.5  # scoring gate: one person width
DROP = 0.10
JITTER = 0.05  # of box width / height, standard deviation
FALSE_PER_FRAME = 1.0


def _numpy2_shim() -> None:
    """motmetrics 1.4.0 calls `np.asfarray`, removed in NumPy 2: put it back before importing it."""
    if not hasattr(np, "asfarray"):

        def asfarray(a: object, dtype: type = np.float64) -> FloatArray:
            return np.asarray(a, dtype=dtype)

        np.asfarray = asfarray  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Frame:
    """One frame's noisy detections: boxes (N, 4) x, y, w, h in pixels and scores (N,)."""

    index: int
    boxes_px: FloatArray
    scores: FloatArray


@dataclass(frozen=True)
class Sequence:
    """Ground truth (frame, id, x, y, w, h rows, pixels), noisy detections and the pixel scale."""

    name: str
    truth: FloatArray
    frames: list[Frame]
    m_per_px: float


def foot_points_m(boxes_px: FloatArray, m_per_px: float) -> FloatArray:
    """Bottom centre of x, y, w, h boxes (pixels), in pseudo-metres."""
    boxes_px = boxes_px.reshape(-1, 4)
    return np.c_[boxes_px[:, 0] + boxes_px[:, 2] / 2, boxes_px[:, 1] + boxes_px[:, 3]] * m_per_px


def load_sequence(name: str, seed: int, max_frames: int | None = None) -> Sequence:
    """Ground truth of `name` from motmetrics and its noisy detections (fixed `seed`)."""
    _numpy2_shim()
    import motmetrics

    path = Path(motmetrics.__file__).parent / "data" / name / "gt.txt"
    truth = np.loadtxt(path, delimiter=",", ndmin=2)[:, :6]
    if max_frames is not None:
        truth = truth[truth[:, 0] <= max_frames]
    rng = np.random.default_rng(seed)
    sizes = truth[:, 4:6]
    frames = []
    for index in range(1, int(truth[:, 0].max()) + 1):
        boxes = truth[truth[:, 0] == index, 2:6]
        boxes = boxes[rng.random(len(boxes)) >= DROP]
        wh = boxes[:, 2:4]
        centre = boxes[:, :2] + wh / 2 + rng.normal(0, JITTER, wh.shape) * wh
        wh = wh * np.exp(rng.normal(0, JITTER, wh.shape))
        scores = np.clip(rng.normal(0.7, 0.15, len(boxes)), 0.05, 0.99)
        false_wh = sizes[rng.integers(0, len(sizes), rng.poisson(FALSE_PER_FRAME))]
        false_xy = rng.random(false_wh.shape) * (np.array(IMAGE_WH) - false_wh)
        false_scores = rng.uniform(0.1, 0.6, len(false_wh))
        frames.append(
            Frame(
                index,
                np.r_[np.c_[centre - wh / 2, wh], np.c_[false_xy, false_wh]].reshape(-1, 4),
                np.r_[scores, false_scores],
            )
        )
    widths = np.concatenate([f.boxes_px[:, 2] for f in frames])
    return Sequence(name, truth, frames, PERSON_WIDTH_M / float(np.median(widths)))


# A runner turns a sequence into, per frame, (track ids, foot points in pseudo-metres).
Output = list[tuple[npt.NDArray[np.int64], FloatArray]]
Runner = Callable[[Sequence], Output]


def run_ours(sequence: Sequence) -> Output:
    """agent.track.KalmanTracker with its defaults, on foot points in pseudo-metres."""
    from agent.track.kalman import KalmanTracker
    from agent.types import FloorPoints

    tracker = KalmanTracker()
    out: Output = []
    for frame in sequence.frames:
        points = FloorPoints(
            (frame.index - 1) / FPS, foot_points_m(frame.boxes_px, sequence.m_per_px), frame.scores
        )
        tracks = tracker.update(points)
        out.append((tracks.ids, np.asarray(tracks.positions_m)))
    return out


def run_bytetrack(sequence: Sequence) -> Output:
    """supervision 0.30.9 ByteTrack, documented defaults and the true frame rate, on pixel boxes."""
    import supervision as sv

    tracker = sv.ByteTrack(frame_rate=FPS)
    out: Output = []
    for frame in sequence.frames:
        xyxy = np.c_[frame.boxes_px[:, :2], frame.boxes_px[:, :2] + frame.boxes_px[:, 2:]]
        detections = sv.Detections(
            xyxy=xyxy.reshape(-1, 4),
            confidence=frame.scores.astype(np.float32),
            class_id=np.zeros(len(frame.scores), dtype=int),
        )
        tracked = tracker.update_with_detections(detections)
        keep = tracked.tracker_id >= 0 if tracked.tracker_id is not None else np.zeros(0, bool)
        boxes = tracked.xyxy[keep]
        xywh = np.c_[boxes[:, :2], boxes[:, 2:] - boxes[:, :2]]
        out.append((tracked.tracker_id[keep].astype(np.int64), foot_points_m(xywh, sequence.m_per_px)))
    return out


def run_norfair_points(sequence: Sequence) -> Output:
    """norfair 2.3 on foot points in pseudo-metres: Euclidean distance gated at 0.8 m, like ours."""
    import norfair

    tracker = norfair.Tracker(distance_function="euclidean", distance_threshold=0.8)
    out: Output = []
    for frame in sequence.frames:
        points = foot_points_m(frame.boxes_px, sequence.m_per_px)
        detections = [
            norfair.Detection(point[None, :], scores=np.array([score]))
            for point, score in zip(points, frame.scores, strict=True)
        ]
        objects = tracker.update(detections)
        out.append(
            (
                np.array([o.id for o in objects], dtype=np.int64),
                np.array([o.estimate[0] for o in objects]).reshape(-1, 2),
            )
        )
    return out


def run_norfair_boxes(sequence: Sequence) -> Output:
    """norfair 2.3 on boxes in pixels with its IoU distance (1 - IoU), matched up to 0.7 (IoU >= 0.3)."""
    import norfair

    tracker = norfair.Tracker(distance_function="iou", distance_threshold=0.7)
    out: Output = []
    for frame in sequence.frames:
        corners = np.c_[frame.boxes_px[:, :2], frame.boxes_px[:, :2] + frame.boxes_px[:, 2:]]
        detections = [
            norfair.Detection(box.reshape(2, 2), scores=np.array([score, score]))
            for box, score in zip(corners, frame.scores, strict=True)
        ]
        objects = tracker.update(detections)
        estimates = np.array([o.estimate for o in objects]).reshape(-1, 2, 2)
        xywh = np.c_[estimates[:, 0], estimates[:, 1] - estimates[:, 0]]
        out.append(
            (np.array([o.id for o in objects], dtype=np.int64), foot_points_m(xywh, sequence.m_per_px))
        )
    return out


TRACKERS: dict[str, Runner] = {
    "footfall kalman": run_ours,
    "sv ByteTrack": run_bytetrack,
    "norfair points": run_norfair_points,
    "norfair boxes": run_norfair_boxes,
}


@dataclass(frozen=True)
class Score:
    """motmetrics figures for one tracker on one sequence."""

    mota: float
    idf1: float
    id_switches: float
    misses: float
    fragmentations: float
    frames_per_s: float


def score(sequence: Sequence, output: Output, seconds: float) -> Score:
    """MOTA, IDF1, identity switches, misses and fragmentations against the ground truth, foot points
    within 0.5 m."""
    _numpy2_shim()
    import motmetrics

    accumulator = motmetrics.MOTAccumulator(auto_id=False)
    for frame, (ids, points) in zip(sequence.frames, output, strict=True):
        rows = sequence.truth[sequence.truth[:, 0] == frame.index]
        truth_points = foot_points_m(rows[:, 2:6], sequence.m_per_px)
        distances = motmetrics.distances.norm2squared_matrix(truth_points, points, max_d2=MATCH_M**2)
        accumulator.update(rows[:, 1].astype(int).tolist(), ids.tolist(), distances, frameid=frame.index)
    summary = motmetrics.metrics.create().compute(
        accumulator,
        metrics=["mota", "idf1", "num_switches", "num_misses", "num_fragmentations"],
        name=sequence.name,
    )
    row = summary.iloc[0]
    return Score(
        float(row["mota"]),
        float(row["idf1"]),
        float(row["num_switches"]),
        float(row["num_misses"]),
        float(row["num_fragmentations"]),
        len(output) / seconds,
    )


def compare(
    seeds: list[int], max_frames: int | None = None, sequences: tuple[str, ...] = SEQUENCES
) -> Iterator[tuple[str, str, Score]]:
    """(tracker, sequence, score averaged over `seeds`) for every tracker on every sequence."""
    import norfair  # noqa: F401  imported before timing: import time is no tracker's speed
    import supervision  # noqa: F401

    import agent.track.kalman  # noqa: F401

    for name in sequences:
        draws = [load_sequence(name, seed, max_frames) for seed in seeds]
        for tracker, runner in TRACKERS.items():
            scores = []
            for sequence in draws:
                started = time.perf_counter()
                output = runner(sequence)
                scores.append(score(sequence, output, time.perf_counter() - started))
            yield (
                tracker,
                name,
                Score(
                    float(np.mean([s.mota for s in scores])),
                    float(np.mean([s.idf1 for s in scores])),
                    float(np.mean([s.id_switches for s in scores])),
                    float(np.mean([s.misses for s in scores])),
                    float(np.mean([s.fragmentations for s in scores])),
                    float(np.mean([s.frames_per_s for s in scores])),
                ),
            )


def parse_seeds(text: str) -> list[int]:
    """ "7" -> [7]; "1-8" -> [1, ..., 8]; "1,4,9" -> [1, 4, 9]."""
    if "-" in text:
        first, last = (int(v) for v in text.split("-"))
        return list(range(first, last + 1))
    return [int(v) for v in text.split(",")]


def main() -> None:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", default="1-8", help='seeds of the detection noise: "7", "1-8" or "1,4,9"')
    parser.add_argument("--frames", type=int, default=None, help="use only the first N frames")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import warnings

    warnings.filterwarnings("ignore", message="The `ByteTrack` was deprecated", category=FutureWarning)
    print(
        f"python benchmarks/tracking_tud.py --seeds {args.seeds}"
        + (f" --frames {args.frames}" if args.frames else "")
    )
    print(
        f"{'tracker':<16} {'sequence':<15} {'MOTA':>6} {'IDF1':>6} {'IDs':>5} {'FN':>6} {'Frag':>5} "
        f"{'frames/s':>9}"
    )
    for tracker, name, result in compare(parse_seeds(args.seeds), args.frames):
        print(
            f"{tracker:<16} {name:<15} {result.mota:>6.3f} {result.idf1:>6.3f} "
            f"{result.id_switches:>5.1f} {result.misses:>6.1f} {result.fragmentations:>5.1f} "
            f"{result.frames_per_s:>9.0f}"
        )


if __name__ == "__main__":
    main()
