"""The shipped models load without config beyond their path and find the heads in a rendered store.

A smoke test on real objects: one held-out frame per sparse scenario
(evaluation seed 4, never used in training), scored as models/evaluate.py
scores. The bounds are loose on purpose: the held-out figures, including the
crowded `busy` scenario where the model is weak, come from models/evaluate.py
and are in the model card.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

from agent.detect import OnnxDetector, OnnxDetectorConfig
from agent.types import Frame, FrameMeta

MODELS = Path(__file__).resolve().parents[2] / "models"
sys.path.insert(0, str(MODELS))

from evaluate import score_frame  # noqa: E402
from simdata import evaluation_clip  # noqa: E402

MODEL_FILES = ["footfall_head_fp32.onnx", "footfall_head_int8.onnx"]


@pytest.fixture(scope="module")
def held_out_frames():
    """The frames at 6 s and 12 s of each sparse scenario's clip (seed 4), 640 x 480."""
    frames = []
    for name, second in itertools.product(("entrance", "aisle", "checkout", "night"), (6, 12)):
        frames.append((name, next(itertools.islice(evaluation_clip(name, 4, fps=5.0), 5 * second, None))))
    return frames


@pytest.mark.parametrize("model_file", MODEL_FILES)
def test_shipped_model_is_small_and_self_describing(model_file):
    path = MODELS / model_file
    assert path.stat().st_size <= 5_000_000
    detector = OnnxDetector(OnnxDetectorConfig(type="onnx", model=path))
    assert detector.layout.format == "centrepoint"  # read from the model's metadata
    # The training script's input size: a 4:3 frame fills it without letterbox bars.
    assert (detector.model.input.width_px, detector.model.input.height_px) == (320, 240)  # models/net.py


@pytest.mark.parametrize("model_file", MODEL_FILES)
def test_shipped_model_finds_heads_in_held_out_frames(model_file, held_out_frames):
    detector = OnnxDetector(OnnxDetectorConfig(type="onnx", model=MODELS / model_file))
    hits = misses = false_alarms = 0
    for index, (_name, truth) in enumerate(held_out_frames):
        frame = Frame(FrameMeta(index, 6.0, 640, 480), truth.image)
        score = score_frame(truth, detector.detect(frame).points_px, tolerance_m=0.3)
        hits, misses, false_alarms = (
            hits + score.hits,
            misses + score.misses,
            false_alarms + score.false_alarms,
        )
    assert hits >= 8  # of the 9 people in these frames
    assert misses <= 0.15 * (hits + misses)
    assert false_alarms <= 0.15 * (hits + false_alarms)


def test_a_wide_fisheye_gets_more_heads_found_with_a_larger_input():
    """`busy` (4.5 m up, 160 degrees): heads 2-5 px wide at 320 x 240; 448 x 336 finds more."""
    frames = list(itertools.islice(evaluation_clip("busy", 4, fps=1.0), 10, 13))
    found = {}
    for size in ((320, 240), (448, 336)):
        detector = OnnxDetector(
            OnnxDetectorConfig(type="onnx", model=MODELS / "footfall_head_int8.onnx", input_size=size)
        )
        assert (detector.model.input.width_px, detector.model.input.height_px) == size
        scores = [
            score_frame(
                truth, detector.detect(Frame(FrameMeta(i, float(i), 640, 480), truth.image)).points_px, 0.3
            )
            for i, truth in enumerate(frames)
        ]
        found[size] = (sum(s.hits for s in scores), sum(s.hits + s.misses for s in scores))
    (hits_small, people), (hits_large, _) = found[(320, 240)], found[(448, 336)]
    assert people >= 90
    assert hits_large >= hits_small + 0.03 * people, found


def test_the_int8_model_reads_the_picture_in_fp32_and_has_7_bit_weights_elsewhere():
    """`train.quantise`: the first convolution (on the picture) stays FP32; every other weight is
    quantised to -64..64 (ONNX Runtime's reduce_range), so that a pair of 8-bit activations times
    weights sums to at most 255 x 64 x 2 = 32,640, inside the 16 bits a CPU without VNNI adds into."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(MODELS / "footfall_head_int8.onnx")).graph
    weights = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    first = [n for n in graph.node if n.op_type == "Conv" and graph.input[0].name in n.input]
    assert len(first) == 1 and weights[first[0].input[1]].dtype == np.float32
    int8_weights = [w for w in weights.values() if w.dtype == np.int8 and w.ndim == 4]  # not zero points
    assert len(int8_weights) == 14  # the other fourteen convolutions
    assert all(np.abs(w.astype(int)).max() <= 64 for w in int8_weights)
    quantised_convs = [n for n in graph.node if n.op_type == "Conv" and n is not first[0]]
    assert len(quantised_convs) == 14


def test_a_region_of_a_crowd_gives_the_shipped_model_s_heads_exactly():
    """The motion gate's crops (`detect_region`) are widened enough for the shipped network: every
    head the whole 448 x 336 input finds in a `busy` frame (seed 4, 6 s) inside a 160 x 120 px
    region of a 4 x 4 grid over it gets the same point and score from the region alone."""
    import numpy as np

    frame_truth = next(itertools.islice(evaluation_clip("busy", 4, fps=5.0), 30, None))
    config = OnnxDetectorConfig(
        type="onnx", model=MODELS / "footfall_head_int8.onnx", input_size=(448, 336), score_threshold=0.15
    )
    detector = OnnxDetector(config)
    frame = Frame(FrameMeta(0, 0.0, 640, 480), frame_truth.image)
    whole = detector.detect(frame)
    checked = 0
    for x0, y0 in itertools.product(range(0, 640, 160), range(0, 480, 120)):
        box = (x0, y0, x0 + 160, y0 + 120)
        part = detector.detect_region(frame, box)
        x, y = whole.points_px[:, 0], whole.points_px[:, 1]
        inside = (x >= box[0]) & (x < box[2]) & (y >= box[1]) & (y < box[3])
        for point, score in zip(whole.points_px[inside], whole.scores[inside], strict=True):
            distance = np.linalg.norm(part.points_px - point, axis=1)
            assert distance.min() < 1e-3, (box, point)
            assert part.scores[distance.argmin()] == pytest.approx(score, abs=1e-4), (box, point)
            checked += 1
    assert checked >= 30  # a crowd: heads in most regions
