"""Searching only where something moved: the gate names the region, a free-size model searches it alone.

The model here is a real fully convolutional ONNX graph (average pooling of
the red channel at stride 4), so a crop of its input gives exactly the
cells of the whole input, as the shipped model nearly does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from agent.detect import GatedDetector, ModelError, MotionGate, OnnxDetector, OnnxDetectorConfig
from agent.detect.config import MotionGateConfig
from agent.detect.letterbox import InputFit
from agent.types import Frame, FrameMeta, in_pixel_box
from tests.detect.test_motion_gate import _scene

_FRAME_W, _FRAME_H = 256, 192  # twice the model's whole-frame input, 128 x 96


def _red_pool_model(path: Path, input_size: str | None = "128x96", free: bool = True) -> Path:
    """heatmap = the red channel averaged over 4 x 4 pixels; offset = the cell's centre."""
    dims: list[int | str] = ["height", "width"] if free else [96, 128]
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, *dims])
    heat = helper.make_tensor_value_info("heatmap", TensorProto.FLOAT, [1, 1, None, None])
    offset = helper.make_tensor_value_info("offset", TensorProto.FLOAT, [1, 2, None, None])
    nodes = [
        helper.make_node("AveragePool", ["image"], ["pooled"], kernel_shape=[4, 4], strides=[4, 4]),
        helper.make_node("Slice", ["pooled", "c0", "c1", "axis1"], ["heatmap"]),
        helper.make_node("Slice", ["pooled", "c1", "c3", "axis1"], ["rest"]),
        helper.make_node("Mul", ["rest", "zero"], ["nothing"]),
        helper.make_node("Add", ["nothing", "half"], ["offset"]),
    ]
    constants = {
        "c0": np.array([0], np.int64),
        "c1": np.array([1], np.int64),
        "c3": np.array([3], np.int64),
        "axis1": np.array([1], np.int64),
        "zero": np.array(0.0, np.float32),
        "half": np.array(0.5, np.float32),
    }
    graph = helper.make_graph(
        nodes,
        "red_pool",
        [image],
        [heat, offset],
        [numpy_helper.from_array(v, k) for k, v in constants.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    metadata = {"footfall.format": "centrepoint", "stride": "4"}
    if input_size is not None:
        metadata["footfall.input_size"] = input_size
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _heads_frame(*heads_px: tuple[int, int], t_s: float = 1.0) -> Frame:
    """A black frame with a red 8 x 8 px 'head' (one model cell) at each top-left corner given."""
    image = np.zeros((_FRAME_H, _FRAME_W, 3), np.uint8)
    for u, v in heads_px:
        image[v : v + 8, u : u + 8] = (0, 0, 255)
    return Frame(FrameMeta(0, t_s, _FRAME_W, _FRAME_H), image)


def _detector(path: Path) -> OnnxDetector:
    return OnnxDetector(OnnxDetectorConfig(type="onnx", model=path, score_threshold=0.5))


def test_region_search_finds_the_heads_inside_and_says_where_it_looked(tmp_path):
    detector = _detector(_red_pool_model(tmp_path / "free.onnx"))
    assert detector.searches_regions
    frame = _heads_frame((40, 40), (200, 144))
    whole = detector.detect(frame)
    np.testing.assert_allclose(sorted(whole.points_px.tolist()), [[44.0, 44.0], [204.0, 148.0]])
    assert whole.region_px is None
    region = (16.0, 16.0, 96.0, 96.0)
    part = detector.detect(frame, region)
    np.testing.assert_allclose(part.points_px, [[44.0, 44.0]])
    np.testing.assert_allclose(part.scores, whole.scores[whole.points_px[:, 0] < 100])
    assert part.region_px == region


def test_heads_just_outside_the_region_are_kept_so_their_tracks_are_not_duplicated(tmp_path):
    """A head within the crop's context, a few pixels past the region's edge, is still reported."""
    detector = _detector(_red_pool_model(tmp_path / "free.onnx"))
    part = detector.detect(_heads_frame((104, 40)), (16.0, 16.0, 96.0, 96.0))
    np.testing.assert_allclose(part.points_px, [[108.0, 44.0]])
    assert not in_pixel_box(part.points_px, (16.0, 16.0, 96.0, 96.0)).any()


def test_a_fixed_size_model_searches_the_whole_frame_whatever_the_region(tmp_path):
    detector = _detector(_red_pool_model(tmp_path / "fixed.onnx", free=False))
    assert not detector.searches_regions
    part = detector.detect(_heads_frame((40, 40), (200, 144)), (16.0, 16.0, 96.0, 96.0))
    assert len(part) == 2 and part.region_px is None


def test_free_size_model_without_size_metadata_needs_input_size(tmp_path):
    path = _red_pool_model(tmp_path / "nosize.onnx", input_size=None)
    with pytest.raises(ModelError, match="input_size"):
        _detector(path)
    detector = OnnxDetector(OnnxDetectorConfig(type="onnx", model=path, input_size=(128, 96)))
    assert detector.searches_regions


def test_bad_input_size_metadata_names_the_file_and_key(tmp_path):
    path = _red_pool_model(tmp_path / "bad.onnx", input_size="big")
    with pytest.raises(ModelError, match=r"bad\.onnx.*footfall\.input_size.*'big'"):
        _detector(path)


@pytest.mark.parametrize("frame_size", [(640, 480), (480, 360), (800, 600), (330, 200)])
def test_a_window_of_the_input_is_the_same_pixels_as_the_whole_input_cut(frame_size):
    """Reading only the window's part of the frame gives exactly the whole input's pixels there
    (a letterboxed 330 x 200 frame, whose window reaches the padding, is made whole and cut)."""
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (frame_size[1], frame_size[0], 3), dtype=np.uint8)
    fit = InputFit.compute(frame_size, (320, 240), "letterbox")
    whole = fit.apply(image)
    for window in [(32, 48, 160, 144), (0, 0, 320, 240), (16, 16, 48, 48), (288, 208, 320, 240)]:
        x0, y0, x1, y1 = window
        np.testing.assert_array_equal(fit.apply_window(image, window), whole[y0:y1, x0:x1])


def _gate(**overrides: float) -> MotionGate:
    return MotionGate(MotionGateConfig(**({"region_max_fraction": 0.5} | overrides)))


def _grey_frame(t_s: float, image: np.ndarray) -> Frame:
    return Frame(FrameMeta(0, t_s, image.shape[1], image.shape[0]), image)


def test_gate_names_the_rectangle_around_a_small_change():
    gate = _gate()
    assert gate.decide(_grey_frame(0.0, _scene())).region_px is None  # the first frame: everywhere
    decision = gate.decide(_grey_frame(0.1, _scene((100, 100), noise_seed=1)))
    assert decision.detect and decision.region_px is not None
    x0, y0, x1, y1 = decision.region_px
    assert x0 <= 100 and y0 <= 100 and x1 >= 140 and y1 >= 140, "the square is inside"
    assert (x1 - x0) * (y1 - y0) < 0.2 * 320 * 240, "and the rectangle is small"


def test_gate_searches_the_whole_frame_for_a_large_change_or_when_regions_are_off():
    gate = _gate()
    gate.decide(_grey_frame(0.0, _scene()))
    many = _scene()
    many[:, :200] = 0  # much of the picture changes at once (a crowd walks in)
    decision = gate.decide(_grey_frame(0.1, many))
    assert decision.detect and decision.region_px is None
    off = _gate(region_max_fraction=0.0)
    off.decide(_grey_frame(0.0, _scene()))
    decision = off.decide(_grey_frame(0.1, _scene((100, 100), noise_seed=1)))
    assert decision.detect and decision.region_px is None


def test_whole_frame_is_searched_at_the_maximum_interval_even_while_regions_open():
    gate = _gate(max_interval_s=1.0)
    gate.decide(_grey_frame(0.0, _scene()))
    whole_at = []
    for step in range(1, 26):  # a square walking 10 px per 0.1 s
        t_s = step * 0.1
        decision = gate.decide(_grey_frame(t_s, _scene((20 + 10 * step, 100), noise_seed=step)))
        assert decision.detect
        if decision.region_px is None:
            whole_at.append(round(t_s, 1))
    assert whole_at == [1.0, 2.0]
    assert gate.frames_region == 23


def test_gated_detector_passes_the_region_to_a_detector_that_searches_regions(tmp_path):
    detector = _detector(_red_pool_model(tmp_path / "free.onnx"))
    gated = GatedDetector(detector, _gate(min_changed_fraction=0.001))  # heads of 2 x 2 small pixels
    still = _heads_frame((40, 40), (200, 144), t_s=0.0)
    first = gated.detect(still)
    assert first is not None and first.region_px is None and len(first) == 2
    moved = _heads_frame((48, 40), (200, 144), t_s=0.1)
    second = gated.detect(moved)
    assert second is not None and second.region_px is not None
    np.testing.assert_allclose(second.points_px, [[52.0, 44.0]])


def test_a_slow_change_outside_the_searched_part_adds_up_until_it_is_searched():
    """Someone at (240, 160) darkens by 6 grey levels a frame (under `pixel_threshold` each time)
    while a walker at the left opens the gate for their own rectangle every frame: the reference
    is renewed only where the gate searched, so the slow change is seen once it adds up (in a
    rectangle holding both, or the whole frame when that is too big)."""
    gate = _gate(max_interval_s=60.0)
    gate.decide(_grey_frame(0.0, _scene()))
    covered = []
    for step in range(1, 16):
        image = _scene((10 + 8 * step, 20), noise_seed=step)
        image[160:200, 240:280] = np.clip(image[160:200, 240:280].astype(int) - 6 * step, 0, 255)
        decision = gate.decide(_grey_frame(step * 0.1, image))
        assert decision.detect
        region = decision.region_px
        covered.append(region is None or (region[2] >= 260 and region[3] >= 180))
    assert not any(covered[:3]) and any(covered), covered
