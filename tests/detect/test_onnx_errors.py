"""A bad model file fails at start with a ModelError naming the file and what was found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.detect import ModelError, OnnxDetector, OnnxDetectorConfig
from tests.detect.tiny_models import build_model

YOLOV8 = {"output0": np.zeros((1, 6, 7), np.float32)}


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "nowhere.onnx"


def _not_onnx(tmp_path: Path) -> Path:
    path = tmp_path / "model.onnx"
    path.write_text("this is a text file, not a model\n")
    return path


def _one_channel_input(tmp_path: Path) -> Path:
    return build_model(tmp_path / "model.onnx", YOLOV8, input_shape=(1, 1, 32, 32))


def _five_d_input(tmp_path: Path) -> Path:
    return build_model(tmp_path / "model.onnx", YOLOV8, input_shape=(1, 3, 32, 32, 1))


def _batch_of_two(tmp_path: Path) -> Path:
    return build_model(tmp_path / "model.onnx", YOLOV8, input_shape=(2, 3, 32, 32))


def _dynamic_size(tmp_path: Path) -> Path:
    return build_model(tmp_path / "model.onnx", YOLOV8, input_shape=(1, 3, "height", "width"))


def _unknown_layout(tmp_path: Path) -> Path:
    return build_model(
        tmp_path / "model.onnx", {"a": np.zeros((1, 5), np.float32), "b": np.zeros((1, 7), np.float32)}
    )


def _dynamic_size_bad_metadata(tmp_path: Path) -> Path:
    return build_model(
        tmp_path / "model.onnx",
        YOLOV8,
        input_shape=(1, 3, "height", "width"),
        metadata={"footfall.input_size": "big"},
    )


def _bad_metadata_format(tmp_path: Path) -> Path:
    return build_model(tmp_path / "model.onnx", YOLOV8, metadata={"footfall.format": "detr"})


@pytest.mark.parametrize(
    ("make", "fmt", "person_class", "message"),
    [
        (_missing, "auto", None, "model file not found"),
        (_not_onnx, "auto", None, "not a usable ONNX model"),
        (_one_channel_input, "auto", None, "no dimension of 3 colour channels"),
        (_five_d_input, "auto", None, r"has shape \(1, 3, 32, 32, 1\), expected \(1, 3, H, W\)"),
        (_batch_of_two, "auto", None, r"has shape \(2, 3, 32, 32\)"),
        (_dynamic_size, "auto", None, "dynamic size .* set detector.input_size"),
        (
            _dynamic_size_bad_metadata,
            "auto",
            None,
            "metadata footfall.input_size is 'big', expected WIDTHxHEIGHT",
        ),
        (_unknown_layout, "auto", None, r"unknown output layout a \(1, 5\), b \(1, 7\)"),
        (_bad_metadata_format, "auto", None, "metadata footfall.format is 'detr'"),
        (lambda p: build_model(p / "m.onnx", YOLOV8), "ssd", None, "SSD-style format needs outputs named"),
        (
            lambda p: build_model(p / "m.onnx", YOLOV8),
            "centrepoint",
            None,
            "centre-point format needs a heatmap",
        ),
        (lambda p: build_model(p / "m.onnx", YOLOV8), "yolov8", 2, "person_class is 2 but .* has 2 class"),
        (_unknown_layout, "yolov5", None, "yolov5 format needs one"),
    ],
    ids=[
        "missing",
        "not-onnx",
        "one-channel",
        "5d-input",
        "batch-2",
        "dynamic-size",
        "dynamic-size-bad-metadata",
        "unknown-layout",
        "bad-metadata",
        "not-ssd",
        "not-centrepoint",
        "person-class",
        "not-yolov5",
    ],
)
def test_bad_model_is_a_clear_error(tmp_path, make, fmt, person_class, message):
    path = make(tmp_path)
    config = OnnxDetectorConfig(type="onnx", model=path, format=fmt, person_class=person_class)
    with pytest.raises(ModelError, match=message) as raised:
        OnnxDetector(config)
    assert str(path) in str(raised.value)


def test_a_dynamic_size_comes_from_the_config_else_from_the_metadata(tmp_path):
    path = build_model(
        tmp_path / "model.onnx",
        YOLOV8,
        input_shape=(1, 3, "height", "width"),
        metadata={"footfall.input_size": "64x48"},
    )
    default = OnnxDetector(OnnxDetectorConfig(type="onnx", model=path))
    assert (default.model.input.width_px, default.model.input.height_px) == (64, 48)
    chosen = OnnxDetector(OnnxDetectorConfig(type="onnx", model=path, input_size=(96, 64)))
    assert (chosen.model.input.width_px, chosen.model.input.height_px) == (96, 64)
