"""People in a frame from an ONNX model: the shipped centre-point model, YOLOv5/v8/11 or SSD exports.

The model is opened once (`OnnxModel.open`), its output layout resolved
(`resolve_layout`) and one warm-up inference run, so a bad file fails at
start with a `ModelError`, never on the first frame.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from agent.detect.centrepoint import averaged_views, decode_centrepoint
from agent.detect.config import OnnxDetectorConfig
from agent.detect.errors import ModelError
from agent.detect.formats import Layout, describe, resolve_layout
from agent.detect.letterbox import InputFit
from agent.detect.onnx_model import OnnxModel
from agent.detect.same_person import same_person_kept
from agent.detect.ssd import decode_ssd
from agent.detect.yolo import decode_yolov5, decode_yolov8
from agent.geometry.projector import FloorProjector
from agent.types import Detections, FloatArray, Frame

_DEFAULT_PERSON_CLASS = {"yolov5": 0, "yolov8": 0, "ssd": 1, "centrepoint": 0}
# A part of the input the centre-point model runs on: edges on multiples of its deepest stride,
# and this much around the region asked for (input pixels), the picture a head's score depends
# on. For the model shipped since 2026-12-02 15:25 (two more convolutions at stride 16: 32 px more
# on each side), at 128 px each of 321 heads found inside random regions of held-out frames (every
# scenario at its installer's input size) had the point and score the whole input gives, at 96 px
# 20 differed. For the model before it, 96 px sufficed (26,672 heads) and 64 px did not.
_CROP_MULTIPLE_PX = 16
_CROP_MARGIN_PX = 128


class OnnxDetector:
    """One detection per person the model finds: a head point (centre-point) or a box's point, and a score.

    With the calibration's `floor` projector, a detection within
    `config.same_person_m` on the floor of a much stronger one is dropped
    (`agent.detect.same_person`).

    Raises:
        ModelError: the model file is missing, not ONNX, has an unusable input, or an output
            layout that does not fit `config.format` (names the file and what was found).
    """

    def __init__(self, config: OnnxDetectorConfig, floor: FloorProjector | None = None) -> None:
        self._config = config
        self._floor = floor if config.same_person_m > 0 or config.same_head_m > 0 else None
        self.model = OnnxModel.open(
            config.model,
            threads=config.threads,
            optimisation=config.graph_optimisation,
            input_size=config.input_size,
            resize=config.resize,
        )
        self.layout: Layout = resolve_layout(
            config.model, config.format, self.model.outputs, self.model.metadata
        )
        self._person_class = (
            config.person_class
            if config.person_class is not None
            else _DEFAULT_PERSON_CLASS[self.layout.format]
        )
        self._check_person_class()
        self._stride_px = self._centrepoint_stride()
        self._check_views()
        self.model.warm_up()

    def _check_views(self) -> None:
        """`views > 1` needs a centre-point model and an input of whole heatmap cells (a mirrored map
        must land on the picture's cells)."""
        config, spec = self._config, self.model.input
        if config.views > 1 and self.layout.format != "centrepoint":
            raise ModelError(
                f"{config.model}: detector.views = {config.views} averages centre-point heatmaps, "
                f"but this model's output is {self.layout.format}; set views = 1"
            )
        if config.views > 1 and (spec.width_px % self._stride_px or spec.height_px % self._stride_px):
            raise ModelError(
                f"{config.model}: detector.views = {config.views} needs an input of whole heatmap cells "
                f"(multiples of the stride, {self._stride_px:g} pixels); the input is "
                f"{spec.width_px}x{spec.height_px}: set input_size or views = 1"
            )

    def _check_person_class(self) -> None:
        """A YOLO model must have a class column for `person_class` (when its shape says how many)."""
        if self.layout.format not in ("yolov5", "yolov8"):
            return
        _, rows, cols = self.model.outputs[0].shape
        width = rows if self.layout.format == "yolov8" and not self.layout.transposed else cols
        classes = None if width is None else width - (5 if self.layout.format == "yolov5" else 4)
        if classes is not None and self._person_class >= classes:
            raise ModelError(
                f"{self._config.model}: person_class is {self._person_class} but the {self.layout.format} "
                f"output {describe(self.model.outputs)} has {classes} class(es)"
            )

    def _centrepoint_stride(self) -> float:
        """Input pixels per heatmap cell: from metadata `stride`, else input height over heatmap height."""
        if self.layout.format != "centrepoint":
            return 1.0
        if "stride" in self.model.metadata:
            return float(self.model.metadata["stride"])
        rows = self.model.outputs[self.layout.roles["heatmap"]].shape[2]
        return self.model.input.height_px / rows if rows else 4.0

    @property
    def crops(self) -> bool:
        """Whether `detect_region` runs the model on part of the input: a centre-point model of free
        size whose input size is a multiple of `_CROP_MULTIPLE_PX` (the shipped model)."""
        spec = self.model.input
        return (
            self.layout.format == "centrepoint"
            and spec.free_size
            and spec.width_px % _CROP_MULTIPLE_PX == 0
            and spec.height_px % _CROP_MULTIPLE_PX == 0
        )

    def detect(self, frame: Frame) -> Detections:
        """People in `frame`: points in frame pixels, scores in [0, 1], boxes for box formats."""
        fitted, fit = self.model.fit(frame.image)
        return self._detect_fitted(frame, fitted, fit, (0, 0, fit.input_size[0], fit.input_size[1]))

    def detect_region(self, frame: Frame, region_px: tuple[float, float, float, float]) -> Detections:
        """People in the part of `frame` around `region_px` (x0, y0, x1, y1 frame pixels).

        The frame is fitted to the input as for `detect` and the model runs on
        the input pixels that hold the region, widened by `_CROP_MARGIN_PX`
        input pixels (the network's view around a head) and put on its
        16-pixel grid, so a head well inside scores as it would in the whole
        frame, at a fraction of the cost. A model that cannot run on part of
        its input (`crops` False) looks at the whole frame.
        """
        if not self.crops:
            return self.detect(frame)
        fitted, fit = self.model.fit(frame.image)
        return self._detect_fitted(
            frame, fitted, fit, fit.input_box(region_px, _CROP_MARGIN_PX, _CROP_MULTIPLE_PX)
        )

    def _detect_fitted(
        self, frame: Frame, fitted: npt.NDArray[np.uint8], fit: InputFit, part: tuple[int, int, int, int]
    ) -> Detections:
        """Detections in `part` (x0, y0, x1, y1 input pixels) of the fitted input, in frame pixels."""
        x0, y0, x1, y1 = part
        if x1 <= x0 or y1 <= y0:
            return Detections.empty(frame.meta.t_s)
        points, scores, boxes = self._decode(fitted[y0:y1, x0:x1])
        points_px = fit.points_to_frame(points + np.array([x0, y0], dtype=np.float64))
        frame_boxes = None if boxes is None else fit.boxes_to_frame(boxes + np.array([x0, y0, x0, y0]))
        if self._floor is not None and len(scores) > 1:
            config = self._config
            kept = same_person_kept(
                self._floor.floor_m(points_px),
                scores,
                config.same_person_m,
                config.same_person_score_ratio,
                config.same_head_m,
            )
            points_px, scores = points_px[kept], scores[kept]
            frame_boxes = None if frame_boxes is None else frame_boxes[kept]
        return Detections(frame.meta.t_s, points_px, scores, frame_boxes)

    def _outputs(self, picture: npt.NDArray[np.uint8]) -> list[np.ndarray]:
        """The model's outputs for a fitted picture (h, w, 3) BGR."""
        return self.model.run(self.model.tensor(picture))

    def _decode(self, picture: npt.NDArray[np.uint8]) -> tuple[FloatArray, FloatArray, FloatArray | None]:
        """Points (N, 2) and scores (N,) in the picture's pixels, and boxes (N, 4) for box formats."""
        config, roles = self._config, self.layout.roles
        if self.layout.format == "centrepoint":
            heatmap, offset = averaged_views(
                self._outputs, picture, config.views, roles["heatmap"], roles.get("offset")
            )
            points, scores = decode_centrepoint(
                heatmap,
                offset,
                self._stride_px,
                config.score_threshold,
                config.max_detections,
            )
            return points, scores, None
        outputs = self._outputs(picture)
        if self.layout.format == "ssd":
            count = outputs[roles["count"]] if "count" in roles else None
            boxes, scores = decode_ssd(
                outputs[roles["boxes"]],
                outputs[roles["scores"]],
                outputs[roles["classes"]],
                count,
                (self.model.input.width_px, self.model.input.height_px),
                self._person_class,
                config.score_threshold,
                config.max_detections,
                config.ssd_box_order,
            )
        elif self.layout.format == "yolov5":
            boxes, scores = decode_yolov5(
                outputs[0], self._person_class, config.score_threshold, config.nms_iou, config.max_detections
            )
        else:
            boxes, scores = decode_yolov8(
                outputs[0],
                self._person_class,
                config.score_threshold,
                config.nms_iou,
                config.max_detections,
                transposed=self.layout.transposed,
            )
        return _box_points(boxes, config.point), scores, boxes


def _box_points(boxes: FloatArray, point: str) -> FloatArray:
    """The point of each box (N, 4) that goes to the floor: centre, top centre or bottom centre."""
    u = (boxes[:, 0] + boxes[:, 2]) / 2
    if point == "top":
        v = boxes[:, 1]
    elif point == "bottom":
        v = boxes[:, 3]
    else:
        v = (boxes[:, 1] + boxes[:, 3]) / 2
    return np.column_stack([u, v]).reshape(-1, 2)
