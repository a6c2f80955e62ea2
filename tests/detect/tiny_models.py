"""Tiny ONNX models built with the `onnx` helper API: one per output layout, each returning fixed outputs.

Each model has a real image input (so the detector's input checks and
letterboxing run) and constant outputs chosen by the test, so decoding can be
checked exactly. The input also feeds a zero-weighted term into the first
output, so ONNX Runtime keeps it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

_ELEM = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.uint8): TensorProto.UINT8}


def build_model(
    path: Path,
    outputs: dict[str, np.ndarray],
    *,
    input_shape: tuple[int | str, ...] = (1, 3, 32, 32),
    input_dtype: type = np.float32,
    metadata: dict[str, str] | None = None,
    dynamic_outputs: bool = False,
) -> Path:
    """Write a model whose outputs are the given arrays (float32), whatever the image; returns `path`."""
    elem = _ELEM[np.dtype(input_dtype)]
    graph_input = helper.make_tensor_value_info("images", elem, list(input_shape))
    nodes, initialisers, graph_outputs = [], [], []
    nodes.append(helper.make_node("Cast", ["images"], ["images_f"], to=TensorProto.FLOAT))
    nodes.append(helper.make_node("ReduceMean", ["images_f"], ["mean"], keepdims=0))
    initialisers.append(numpy_helper.from_array(np.array(0.0, np.float32), "zero"))
    nodes.append(helper.make_node("Mul", ["mean", "zero"], ["nothing"]))
    for index, (name, value) in enumerate(outputs.items()):
        const = f"{name}_value"
        initialisers.append(numpy_helper.from_array(np.asarray(value, np.float32), const))
        if index == 0:
            nodes.append(helper.make_node("Add", [const, "nothing"], [name]))
        else:
            nodes.append(helper.make_node("Identity", [const], [name]))
        shape = [None] * np.ndim(value) if dynamic_outputs else list(np.shape(value))
        graph_outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
    graph = helper.make_graph(nodes, "tiny", [graph_input], graph_outputs, initialisers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if metadata:
        helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def build_bright_spot_model(path: Path, *, free_size: bool = True) -> Path:
    """A centre-point model (stride 4) whose heatmap is the red channel averaged over 4 x 4 pixels.

    A white 4 x 4 square on a black frame, on the 4-pixel grid, is a head of
    score 1.0 at its cell. With `free_size` the input's height and width are
    dynamic (`footfall.input_size` 64x48 names the default), else 64 x 48.
    """
    shape: list[int | str] = [1, 3, "height", "width"] if free_size else [1, 3, 48, 64]
    graph_input = helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)
    starts, ends, axes = (
        numpy_helper.from_array(np.array([v], np.int64), n) for v, n in ((0, "s"), (1, "e"), (1, "a"))
    )
    nodes = [
        helper.make_node("Slice", ["image", "s", "e", "a"], ["red"]),
        helper.make_node("AveragePool", ["red"], ["heatmap"], kernel_shape=[4, 4], strides=[4, 4]),
    ]
    out_shape: list[int | str | None] = [1, 1, None, None] if free_size else [1, 1, 12, 16]
    graph_output = helper.make_tensor_value_info("heatmap", TensorProto.FLOAT, out_shape)
    graph = helper.make_graph(nodes, "bright_spot", [graph_input], [graph_output], [starts, ends, axes])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(
        model, {"footfall.format": "centrepoint", "stride": "4", "footfall.input_size": "64x48"}
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
