"""Looking only where something moved: the same heads from part of the input, and the gate's regions."""

from __future__ import annotations

import numpy as np
import pytest

from agent.detect import GatedDetector, MotionGate, OnnxDetectorConfig, build_detector
from agent.detect.config import MotionGateConfig
from agent.detect.letterbox import InputFit
from agent.detect.onnx_detector import OnnxDetector
from agent.types import Frame, FrameMeta
from tests.detect.tiny_models import build_bright_spot_model

_W, _H = 320, 240


def _frame(t_s: float, *people: tuple[int, int]) -> Frame:
    """A black frame with a grey 40 x 40 px body for each of `people` (top-left corner u, v) and a
    white 4 x 4 px head at its centre (pixels u + 16 to u + 19): a head of score 1.0 at (u + 17.5, v + 17.5),
    OpenCV's pixel centres; bodies score 0.47."""
    image = np.zeros((_H, _W, 3), np.uint8)
    for u, v in people:
        image[v : v + 40, u : u + 40] = 120
        image[v + 16 : v + 20, u + 16 : u + 20] = 255
    return Frame(FrameMeta(round(t_s * 10), t_s, _W, _H), image)


@pytest.fixture(scope="module")
def free_model(tmp_path_factory):
    return build_bright_spot_model(tmp_path_factory.mktemp("regions") / "free.onnx")


def _detector(model, **settings) -> OnnxDetector:
    config = OnnxDetectorConfig(type="onnx", model=model, input_size=(_W, _H), same_person_m=0, **settings)
    detector = build_detector(config)
    assert isinstance(detector, OnnxDetector)
    return detector


def test_input_box_maps_widens_aligns_and_clips():
    fit = InputFit.compute((640, 480), (320, 240), "letterbox")  # half size
    assert fit.input_box((100, 100, 200, 150), 32, 16) == (16, 16, 144, 112)
    assert fit.input_box((600, 0, 640, 20), 32, 16) == (256, 0, 320, 48)
    boxed = InputFit.compute((640, 360), (320, 240), "letterbox")  # 30 px of padding above and below
    assert boxed.input_box((0, 0, 10, 10), 0, 16) == (0, 16, 16, 48)


@pytest.mark.parametrize("views", [1, 2, 4])
def test_a_region_finds_the_heads_inside_it_where_the_whole_frame_finds_them(free_model, views):
    detector = _detector(free_model, score_threshold=0.9, views=views)
    assert detector.crops
    frame = _frame(0.0, (40, 40), (240, 160))
    whole = detector.detect(frame)
    assert len(whole) == 2
    part = detector.detect_region(frame, (56, 56, 60, 60))
    assert len(part) == 1, "the head outside the region is not looked at"
    near = np.argmin(np.linalg.norm(whole.points_px - part.points_px[0], axis=1))
    np.testing.assert_allclose(part.points_px[0], whole.points_px[near])
    np.testing.assert_allclose(part.points_px[0], [57.5, 57.5])
    assert part.scores[0] == pytest.approx(1.0)


def test_a_model_of_fixed_size_looks_at_the_whole_frame(tmp_path):
    detector = _detector(
        build_bright_spot_model(tmp_path / "fixed.onnx", free_size=False), score_threshold=0.9
    )
    assert not detector.crops
    frame = Frame(FrameMeta(0, 0.0, 64, 48), np.zeros((48, 64, 3), np.uint8))
    frame.image[4:8, 4:8] = 255
    frame.image[36:40, 52:56] = 255
    assert len(detector.detect_region(frame, (4, 4, 8, 8))) == 2


def test_the_gate_gives_the_moved_box_then_the_whole_frame_after_max_interval():
    gate = MotionGate(MotionGateConfig(max_interval_s=0.5))
    assert gate.should_detect(_frame(0.0, (0, 100)))
    assert gate.moved_box_px is None, "the first look is at the whole frame"
    boxes = []
    for k in range(1, 8):
        assert gate.should_detect(_frame(0.1 * k, (40 * k, 100)), tracking=True)
        boxes.append(gate.moved_box_px)
    # Where the square was and where it is now, to the small frame's 5 px.
    x0, y0, x1, y1 = boxes[0]
    assert x0 <= 0 and x1 >= 80 and y0 <= 100 and y1 >= 140
    assert x0 > -5 and x1 < 85 and y0 > 95 and y1 < 145
    assert [box is None for box in boxes] == [False, False, False, False, True, False, False]


def test_without_regions_every_look_is_at_the_whole_frame():
    gate = MotionGate(MotionGateConfig(regions=False))
    for k in range(4):
        assert gate.should_detect(_frame(0.1 * k, (40 * k, 100)))
        assert gate.moved_box_px is None


def test_a_person_standing_still_is_looked_at_again_beside_one_who_moves(free_model):
    """The region holds what moved and the people found the last time, so the still one stays found."""
    detector = _detector(free_model, score_threshold=0.9)
    gated = GatedDetector(detector, MotionGate(MotionGateConfig(max_interval_s=5.0)))
    still = (20, 20)
    first = gated.detect(_frame(0.0, still, (200, 160)))
    assert first is not None and len(first) == 2
    second = gated.detect(_frame(0.1, still, (260, 160)))
    assert gated.gate is not None and gated.gate.moved_box_px is not None
    assert second is not None and len(second) == 2
    assert gated.region_looks == 1, "the first look covered the whole frame, the second a region"
    assert np.isclose(second.points_px, np.array(still) + 17.5).all(axis=1).any()
    alone = detector.detect_region(_frame(0.1, still, (260, 160)), gated.gate.moved_box_px)
    assert len(alone) == 1, "what moved alone is only the walker"
