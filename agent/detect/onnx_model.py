"""Opening an ONNX model with ONNX Runtime and feeding it frames.

`OnnxModel.open` checks the file (present, ONNX, one image input of a shape
we can fill) and creates the session with the configured threads and graph
optimisation; `OnnxModel.run` letterboxes or stretches a frame into the
input and returns the raw outputs. Every failure is a `ModelError` naming
the file and what was found.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# ONNX Runtime's telemetry writes a session file to $TMPDIR and a usage database to ~/.cache
# as soon as it is imported; a device that promises to write nothing but its outbox turns it
# off before the import (the systemd unit sets it too). This is the only module importing it.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from agent.config_base import parse_size_px
from agent.detect.centrepoint import INPUT_SIZE_KEY
from agent.detect.errors import ModelError
from agent.detect.letterbox import InputFit, ResizeMode

GraphOptimisation = Literal["disable", "basic", "extended", "all"]
_OPTIMISATION = {
    "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}
_ONNX_DTYPES: dict[str, type[np.generic]] = {"tensor(float)": np.float32, "tensor(uint8)": np.uint8}
_BYTE_TO_UNIT = np.float32(1 / 255)  # a pixel byte to [0, 1], as float32 (as OpenCV's blobFromImage scales)


@dataclass(frozen=True)
class InputSpec:
    """The model's image input: name, channel position, size (width, height pixels) and element type.

    `free_size`: the model declares no fixed height and width, so it also
    runs on a part of the input (`OnnxDetector.detect_region`).
    """

    name: str
    channels_first: bool
    width_px: int
    height_px: int
    dtype: type[np.generic]
    free_size: bool = False


@dataclass(frozen=True)
class OutputSpec:
    """One model output: its name and shape (None for a dimension fixed only at run time)."""

    name: str
    shape: tuple[int | None, ...]


def _dim(value: object) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def _shape_text(shape: object) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")" if isinstance(shape, list | tuple) else str(shape)


def read_input_spec(
    path: Path, node: ort.NodeArg, input_size: tuple[int, int] | None, metadata: dict[str, str] | None = None
) -> InputSpec:
    """Check and describe the model's image input.

    A dynamic size is `input_size` (width, height), else the size the model's
    metadata names (`footfall.input_size`, WIDTHxHEIGHT: the shipped model's
    training size).

    Raises:
        ModelError: the input is not (1, 3, H, W) or (1, H, W, 3) float32/uint8, or its size is
            dynamic and neither `input_size` nor the metadata gives one.
    """
    shape = list(node.shape)
    expected = "(1, 3, H, W) or (1, H, W, 3) float32 or uint8"
    if len(shape) != 4 or _dim(shape[0]) not in (1, None):
        raise ModelError(f"{path}: input {node.name!r} has shape {_shape_text(shape)}, expected {expected}")
    if _dim(shape[1]) == 3:
        channels_first, h, w = True, shape[2], shape[3]
    elif _dim(shape[3]) == 3:
        channels_first, h, w = False, shape[1], shape[2]
    else:
        raise ModelError(
            f"{path}: input {node.name!r} has shape {_shape_text(shape)}: no dimension of 3 colour channels, "
            f"expected {expected}"
        )
    if node.type not in _ONNX_DTYPES:
        raise ModelError(f"{path}: input {node.name!r} has type {node.type}, expected {expected}")
    width, height = _dim(w), _dim(h)
    if width is None or height is None:
        if input_size is None:
            input_size = _size_from_metadata(path, metadata or {})
        if input_size is None:
            raise ModelError(
                f"{path}: input {node.name!r} has a dynamic size {_shape_text(shape)}; "
                "set detector.input_size = [width, height] in pixels"
            )
        free = _dim(w) is None and _dim(h) is None
        width, height = input_size
        return InputSpec(node.name, channels_first, width, height, _ONNX_DTYPES[node.type], free_size=free)
    return InputSpec(node.name, channels_first, width, height, _ONNX_DTYPES[node.type])


def _size_from_metadata(path: Path, metadata: dict[str, str]) -> tuple[int, int] | None:
    """The `footfall.input_size` the model carries (WIDTHxHEIGHT), if any.

    Raises:
        ModelError: the entry is there but not WIDTHxHEIGHT in pixels.
    """
    text = metadata.get(INPUT_SIZE_KEY)
    if text is None:
        return None
    size = parse_size_px(text)
    if size is None:
        raise ModelError(f"{path}: metadata {INPUT_SIZE_KEY} is {text!r}, expected WIDTHxHEIGHT in pixels")
    return size


class OnnxModel:
    """An ONNX Runtime session on one model file, with its image input described and checked."""

    def __init__(
        self,
        path: Path,
        session: ort.InferenceSession,
        spec: InputSpec,
        resize: ResizeMode,
        metadata: dict[str, str],
    ) -> None:
        self.path = path
        self.session = session
        self.input = spec
        self.outputs = [OutputSpec(o.name, tuple(_dim(d) for d in o.shape)) for o in session.get_outputs()]
        self.metadata = metadata
        self._resize = resize
        self._fit: InputFit | None = None
        self._fit_frame: tuple[int, int] | None = None

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        threads: int = 1,
        optimisation: GraphOptimisation = "all",
        input_size: tuple[int, int] | None = None,
        resize: ResizeMode = "letterbox",
    ) -> OnnxModel:
        """Load `path` on the CPU with `threads` intra-op threads.

        Raises:
            ModelError: the file is missing, is not an ONNX model, or its input is unusable.
        """
        if not path.is_file():
            raise ModelError(f"{path}: model file not found (detector.model)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = _OPTIMISATION[optimisation]
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # ONNX Runtime raises several private exception types
            head = path.read_bytes()[:16]
            raise ModelError(
                f"{path}: not a usable ONNX model (first bytes {head!r}): {str(error).splitlines()[0]}"
            ) from error
        inputs = session.get_inputs()
        if len(inputs) != 1:
            names = ", ".join(f"{i.name} {_shape_text(i.shape)}" for i in inputs)
            raise ModelError(f"{path}: has {len(inputs)} inputs ({names}), expected one image input")
        metadata: dict[str, str] = dict(session.get_modelmeta().custom_metadata_map)
        return cls(path, session, read_input_spec(path, inputs[0], input_size, metadata), resize, metadata)

    def prepare(self, image: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.generic], InputFit]:
        """A frame (H, W, 3) BGR or (H, W) grey as the model's input tensor, and how it was fitted."""
        fitted, fit = self.fit(image)
        return self.tensor(fitted), fit

    def fit(self, image: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], InputFit]:
        """A frame (H, W, 3) BGR or (H, W) grey resized and padded to the input size (BGR), and how."""
        h, w = image.shape[:2]
        if self._fit is None or self._fit_frame != (w, h):
            self._fit = InputFit.compute((w, h), (self.input.width_px, self.input.height_px), self._resize)
            self._fit_frame = (w, h)
        colour = np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image, np.uint8)
        return self._fit.apply(colour), self._fit

    def tensor(self, fitted: npt.NDArray[np.uint8]) -> npt.NDArray[np.generic]:
        """A fitted BGR image (h, w, 3), the whole input or a part of it, as an input tensor."""
        if self.input.dtype is np.float32 and self.input.channels_first:
            # BGR -> RGB, scaled to [0, 1], channels first, one channel at a time straight into the
            # tensor: the values of OpenCV's blobFromImage to the bit, for a fifth of its CPU time
            # (0.24 against 1.11 ms at 448 x 336, 0.11 against 0.85 at 320 x 240, one thread).
            # Our model and most YOLO and SSD exports take this.
            h, w = fitted.shape[:2]
            planar = np.empty((1, 3, h, w), np.float32)
            for channel in range(3):
                np.multiply(
                    fitted[:, :, 2 - channel], _BYTE_TO_UNIT, out=planar[0, channel], casting="unsafe"
                )
            return planar
        rgb = fitted[:, :, ::-1]  # BGR -> RGB, what YOLO, SSD and our model expect
        tensor = rgb if self.input.dtype is np.uint8 else rgb.astype(np.float32) * np.float32(1 / 255)
        if self.input.channels_first:
            tensor = tensor.transpose(2, 0, 1)
        return np.ascontiguousarray(tensor[None])

    def run(self, tensor: npt.NDArray[np.generic]) -> list[npt.NDArray[np.floating]]:
        """The raw outputs for one input tensor, in the model's output order."""
        outputs: list[npt.NDArray[np.floating]] = self.session.run(None, {self.input.name: tensor})
        return outputs

    def warm_up(self) -> None:
        """One inference on a grey frame, so the first real frame is not slow (lazy allocations).

        Raises:
            ModelError: the model fails to run on an input of its declared shape.
        """
        grey = np.full((self.input.height_px, self.input.width_px, 3), 114, np.uint8)
        tensor, _ = self.prepare(grey)
        try:
            self.run(tensor)
        except Exception as error:
            raise ModelError(
                f"{self.path}: the warm-up inference on a {self.input.width_px}x{self.input.height_px} "
                f"input failed: {str(error).splitlines()[0]}"
            ) from error
