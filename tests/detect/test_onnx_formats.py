"""The ONNX detector decodes every supported output layout, from tiny models built with the onnx helper."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from agent.detect import OnnxDetector, OnnxDetectorConfig
from agent.types import Frame, FrameMeta
from tests.detect.tiny_models import build_model


def _frame(width: int = 64, height: int = 64, t_s: float = 1.0) -> Frame:
    return Frame(FrameMeta(0, t_s, width, height), np.full((height, width, 3), 90, np.uint8))


def _centrepoint(path: Path, metadata: dict[str, str] | None) -> Path:
    heat = np.zeros((1, 1, 8, 8), np.float32)
    heat[0, 0, 2, 3] = 0.9
    heat[0, 0, 2, 4] = 0.5  # a shoulder of the first peak, not a head of its own
    heat[0, 0, 5, 6] = 0.6
    heat[0, 0, 7, 0] = 0.2  # below the threshold
    offset = np.zeros((1, 2, 8, 8), np.float32)
    offset[0, :, 2, 3] = (0.25, 0.75)
    offset[0, :, 5, 6] = (0.5, 0.5)
    return build_model(path, {"heatmap": heat, "offset": offset}, metadata=metadata)


def _yolov5(path: Path, metadata: dict[str, str] | None) -> Path:
    rows = np.array(
        [
            [8, 8, 4, 4, 0.9, 0.9, 0.1],  # person, score 0.81
            [8.5, 8, 4, 4, 0.9, 0.5, 0.1],  # same person, lower score: removed by NMS
            [24, 20, 6, 8, 0.8, 0.6, 0.1],  # second person, score 0.48
            [16, 16, 4, 4, 0.9, 0.1, 0.9],  # another class
        ],
        np.float32,
    )
    # Real exports have far more candidate rows than columns (25200 x 85); so does this one.
    background = np.tile(np.array([[2, 2, 2, 2, 0.05, 0.5, 0.5]], np.float32), (8, 1))
    return build_model(path, {"output0": np.vstack([rows, background])[None]}, metadata=metadata)


def _yolov8_table() -> np.ndarray:
    return np.array(
        [
            [8, 8, 4, 4, 0.81, 0.1],
            [8.5, 8, 4, 4, 0.45, 0.1],
            [24, 20, 6, 8, 0.48, 0.1],
            [16, 16, 4, 4, 0.1, 0.9],
            [2, 2, 2, 2, 0.1, 0.1],
            [30, 30, 2, 2, 0.05, 0.2],
            [20, 4, 2, 2, 0.01, 0.0],
        ],
        np.float32,
    )


def _yolov8(path: Path, metadata: dict[str, str] | None) -> Path:
    return build_model(path, {"output0": _yolov8_table().T[None]}, metadata=metadata)


def _yolov8_rows_first(path: Path, metadata: dict[str, str] | None) -> Path:
    return build_model(path, {"output0": _yolov8_table()[None]}, metadata=metadata)


def _ssd(path: Path, metadata: dict[str, str] | None) -> Path:
    boxes = np.array(
        [[[0.125, 0.125, 0.375, 0.375], [0.5, 0.625, 0.75, 0.875], [0, 0, 0.1, 0.1]]], np.float32
    )
    scores = np.array([[0.81, 0.48, 0.9]], np.float32)
    classes = np.array([[1, 1, 3]], np.float32)
    return build_model(
        path,
        {
            "detection_boxes": boxes,
            "detection_scores": scores,
            "detection_classes": classes,
            "num_detections": np.array([3], np.float32),
        },
        input_shape=(1, 32, 32, 3),
        input_dtype=np.uint8,
        metadata=metadata,
    )


def _centred(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points a model gives, scaled to the frame, as frame pixels: a model counts from the input's
    corner, the frame from its top-left pixel's centre (`InputFit.points_to_frame`)."""
    return [(x - 0.5, y - 0.5) for x, y in points]


# Expected points are in frame pixels: the 64x64 frame is twice the 32x32 input.
BOX_POINTS = _centred([(16.0, 16.0), (48.0, 40.0)])
BOX_SCORES = [0.81, 0.48]
CASES = [
    (
        "centrepoint by metadata",
        _centrepoint,
        {"footfall.format": "centrepoint", "stride": "4"},
        "auto",
        _centred([((3.25) * 8, (2.75) * 8), (6.5 * 8, 5.5 * 8)]),
        [0.9, 0.6],
    ),
    ("centrepoint by shape", _centrepoint, None, "auto", _centred([(26.0, 22.0), (52.0, 44.0)]), [0.9, 0.6]),
    ("yolov5 by shape", _yolov5, None, "auto", BOX_POINTS, BOX_SCORES),
    ("yolov8 by shape", _yolov8, None, "auto", BOX_POINTS, BOX_SCORES),
    (
        "yolov8 rows first, ultralytics metadata",
        _yolov8_rows_first,
        {"task": "detect"},
        "auto",
        BOX_POINTS,
        BOX_SCORES,
    ),
    ("yolov8 rows first, named in config", _yolov8_rows_first, None, "yolov8", BOX_POINTS, BOX_SCORES),
    ("ssd by output names, uint8 NHWC input", _ssd, None, "auto", BOX_POINTS, BOX_SCORES),
]


@pytest.mark.parametrize(
    ("name", "make", "metadata", "fmt", "points", "scores"), CASES, ids=[c[0] for c in CASES]
)
def test_layout_is_decoded(tmp_path, name, make, metadata, fmt, points, scores):
    model = make(tmp_path / "model.onnx", metadata)
    detector = OnnxDetector(OnnxDetectorConfig(type="onnx", model=model, format=fmt, score_threshold=0.3))
    detections = detector.detect(_frame())
    assert detections.t_s == 1.0
    np.testing.assert_allclose(detections.points_px, points, atol=1e-4)
    np.testing.assert_allclose(detections.scores, scores, atol=1e-5)
    if detector.layout.format == "centrepoint":
        assert detections.boxes_px is None
    else:
        assert detections.boxes_px is not None and detections.boxes_px.shape == (2, 4)


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ("centre", _centred([(16.0, 16.0), (48.0, 40.0)])),
        ("top", _centred([(16.0, 12.0), (48.0, 32.0)])),
        ("bottom", _centred([(16.0, 20.0), (48.0, 48.0)])),
    ],
)
def test_box_point_is_configurable(tmp_path, point, expected):
    model = _yolov8(tmp_path / "model.onnx", None)
    detector = OnnxDetector(OnnxDetectorConfig(type="onnx", model=model, point=point, score_threshold=0.3))
    np.testing.assert_allclose(detector.detect(_frame()).points_px, expected, atol=1e-4)


@pytest.mark.parametrize(
    ("frame_size", "resize", "expected"),
    [
        # 64x48 into 32x32: scale 0.5, letterbox pads 4 rows above; stretch scales rows by 2/3.
        ((64, 48), "letterbox", _centred([(16.0, 8.0), (48.0, 32.0)])),
        ((64, 48), "stretch", _centred([(16.0, 12.0), (48.0, 30.0)])),
        ((16, 16), "letterbox", _centred([(4.0, 4.0), (12.0, 10.0)])),
    ],
)
def test_points_map_back_to_frame_pixels(tmp_path, frame_size, resize, expected):
    model = _yolov8(tmp_path / "model.onnx", None)
    detector = OnnxDetector(OnnxDetectorConfig(type="onnx", model=model, resize=resize, score_threshold=0.3))
    np.testing.assert_allclose(detector.detect(_frame(*frame_size)).points_px, expected, atol=1e-4)


def test_person_class_and_grey_frames(tmp_path):
    model = _yolov8(tmp_path / "model.onnx", None)
    detector = OnnxDetector(OnnxDetectorConfig(type="onnx", model=model, person_class=1, score_threshold=0.3))
    grey = Frame(FrameMeta(0, 0.0, 64, 64), np.zeros((64, 64), np.uint8))
    np.testing.assert_allclose(detector.detect(grey).points_px, _centred([(32.0, 32.0)]), atol=1e-4)


def test_dynamic_input_size_from_config(tmp_path):
    model = build_model(
        tmp_path / "model.onnx", {"output0": _yolov8_table().T[None]}, input_shape=(1, 3, "h", "w")
    )
    config = OnnxDetectorConfig(type="onnx", model=model, input_size=(32, 32), score_threshold=0.3)
    np.testing.assert_allclose(OnnxDetector(config).detect(_frame()).points_px, BOX_POINTS, atol=1e-4)


def test_the_input_tensor_is_opencvs_blob_to_the_bit(tmp_path):
    """RGB in [0, 1], channels first, from a BGR picture, whole or a part of it (a region's crop)."""
    detector = OnnxDetector(OnnxDetectorConfig(type="onnx", model=_centrepoint(tmp_path / "m.onnx", None)))
    picture = np.random.default_rng(3).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    for part in (picture, picture[16:48, 8:40]):
        tensor = detector.model.tensor(part)
        assert tensor.dtype == np.float32 and tensor.shape == (1, 3, *part.shape[:2])
        np.testing.assert_array_equal(tensor, cv2.dnn.blobFromImage(part, 1 / 255, swapRB=True))
