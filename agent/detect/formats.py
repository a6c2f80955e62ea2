"""Which output layout a model has: named in config, written in its metadata, or read from its outputs.

| format      | outputs                                                        |
|-------------|----------------------------------------------------------------|
| centrepoint | `heatmap` (1, 1, h, w) [+ `offset` (1, 2, h, w)]; metadata `footfall.format` |
| yolov5      | one (1, N, 5 + C): cx, cy, w, h, objectness, class scores      |
| yolov8      | one (1, 4 + C, N): cx, cy, w, h, class scores (YOLOv8, YOLO11) |
| ssd         | boxes (1, N, 4), scores (1, N), classes (1, N) [, count (1,)]  |

With `auto`, a single 3-D output is YOLOv8 when its rows are fewer than its
columns (4 + C < N), and YOLOv5 otherwise unless the metadata carries
Ultralytics' `task` key (then it is a transposed YOLOv8). A layout that fits
none of these is a `ModelError` listing the outputs found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agent.detect.centrepoint import FORMAT_KEY
from agent.detect.errors import ModelError
from agent.detect.onnx_model import OutputSpec

ModelFormat = Literal["centrepoint", "yolov5", "yolov8", "ssd"]
FormatChoice = Literal["auto", "centrepoint", "yolov5", "yolov8", "ssd"]


@dataclass(frozen=True)
class Layout:
    """A resolved format and which outputs (by index) play which role in it."""

    format: ModelFormat
    roles: dict[str, int]
    transposed: bool = False  # YOLOv8 rows-first (1, N, 4 + C)


def describe(outputs: list[OutputSpec]) -> str:
    """Outputs as `name (d0, d1, ...)`, for error messages."""
    return ", ".join(
        f"{o.name} (" + ", ".join("?" if d is None else str(d) for d in o.shape) + ")" for o in outputs
    )


def _named(outputs: list[OutputSpec], *words: str) -> int | None:
    for index, output in enumerate(outputs):
        if any(word in output.name.lower() for word in words):
            return index
    return None


def _centrepoint(path: Path, outputs: list[OutputSpec]) -> Layout:
    maps = [i for i, o in enumerate(outputs) if len(o.shape) == 4]
    heat = _named(outputs, "heatmap", "heat")
    if heat is None:
        heat = next((i for i in maps if outputs[i].shape[1] == 1), None)
    if heat is None or len(outputs[heat].shape) != 4 or outputs[heat].shape[1] != 1:
        raise ModelError(
            f"{path}: centre-point format needs a heatmap output (1, 1, h, w); found {describe(outputs)}"
        )
    roles = {"heatmap": heat}
    offset = _named(outputs, "offset")
    if offset is None:
        offset = next((i for i in maps if outputs[i].shape[1] == 2), None)
    if offset is not None:
        if len(outputs[offset].shape) != 4 or outputs[offset].shape[1] != 2:
            raise ModelError(
                f"{path}: centre-point offset output should be (1, 2, h, w); found {describe(outputs)}"
            )
        roles["offset"] = offset
    return Layout("centrepoint", roles)


def _ssd(path: Path, outputs: list[OutputSpec]) -> Layout:
    roles = {
        "boxes": _named(outputs, "box"),
        "scores": _named(outputs, "score"),
        "classes": _named(outputs, "class", "label"),
        "count": _named(outputs, "num", "count"),
    }
    missing = [role for role in ("boxes", "scores", "classes") if roles[role] is None]
    boxes = roles["boxes"]
    if missing or boxes is None or outputs[boxes].shape[-1] != 4:
        raise ModelError(
            f"{path}: SSD-style format needs outputs named with 'box' (1, N, 4), 'score' (1, N) and "
            f"'class' (1, N); found {describe(outputs)}"
        )
    return Layout("ssd", {role: index for role, index in roles.items() if index is not None})


def _yolo(path: Path, outputs: list[OutputSpec], fmt: ModelFormat, metadata: dict[str, str]) -> Layout:
    if len(outputs) != 1 or len(outputs[0].shape) != 3:
        raise ModelError(
            f"{path}: {fmt} format needs one (1, rows, columns) output; found {describe(outputs)}"
        )
    _, rows, cols = outputs[0].shape
    if fmt == "yolov5":
        if cols is not None and cols < 6:
            raise ModelError(
                f"{path}: YOLOv5 output needs 5 + classes >= 6 columns; found {describe(outputs)}"
            )
        return Layout("yolov5", {"output": 0})
    transposed = rows is not None and cols is not None and rows > cols
    width = cols if transposed else rows
    if width is not None and width < 5:
        raise ModelError(
            f"{path}: YOLOv8 output needs 4 + classes >= 5 values per box; found {describe(outputs)}"
        )
    return Layout("yolov8", {"output": 0}, transposed=transposed)


def resolve_layout(
    path: Path, choice: FormatChoice, outputs: list[OutputSpec], metadata: dict[str, str]
) -> Layout:
    """The layout of a model's outputs.

    Raises:
        ModelError: the named format does not fit the outputs, or (`auto`) no format fits,
            naming the file and listing the outputs found.
    """
    if choice != "auto":
        return _build(path, choice, outputs, metadata)
    declared = metadata.get(FORMAT_KEY)
    if declared is not None:
        if declared not in ("centrepoint", "yolov5", "yolov8", "ssd"):
            raise ModelError(
                f"{path}: metadata {FORMAT_KEY} is {declared!r}, expected centrepoint|yolov5|yolov8|ssd"
            )
        return _build(path, declared, outputs, metadata)  # type: ignore[arg-type]
    shapes = [o.shape for o in outputs]
    if any(len(s) == 4 and s[1] == 1 for s in shapes) or _named(outputs, "heatmap") is not None:
        return _build(path, "centrepoint", outputs, metadata)
    if len(outputs) >= 3 and _named(outputs, "box") is not None:
        return _build(path, "ssd", outputs, metadata)
    if len(outputs) == 1 and len(shapes[0]) == 3:
        _, rows, cols = shapes[0]
        if rows is not None and cols is not None and rows < cols:
            return _build(path, "yolov8", outputs, metadata)
        if "task" in metadata:  # an Ultralytics export of YOLOv8/YOLO11, rows-first
            return _build(path, "yolov8", outputs, metadata)
        return _build(path, "yolov5", outputs, metadata)
    raise ModelError(
        f"{path}: unknown output layout {describe(outputs)}; expected a centre-point heatmap (1, 1, h, w), "
        "one YOLO output (1, rows, columns) or SSD boxes/scores/classes; name it with detector.format"
    )


def _build(path: Path, fmt: ModelFormat, outputs: list[OutputSpec], metadata: dict[str, str]) -> Layout:
    if fmt == "centrepoint":
        return _centrepoint(path, outputs)
    if fmt == "ssd":
        return _ssd(path, outputs)
    return _yolo(path, outputs, fmt, metadata)
