"""Fitting a frame into a model's fixed input, and mapping model pixels back to the frame.

`letterbox` keeps the aspect ratio (scale to fit, pad the rest with grey,
centred, as YOLO exports expect); `stretch` scales each axis on its own (as
most SSD exports expect). Either way the mapping back is one scale and one
offset per axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from agent.types import FloatArray

ResizeMode = Literal["letterbox", "stretch"]
_PAD_GREY = 114  # the grey YOLO's own letterbox pads with


@dataclass(frozen=True)
class InputFit:
    """How a frame of `frame_size` maps onto a model input of `input_size` (width, height in pixels)."""

    scale_x: float
    scale_y: float
    pad_x_px: float
    pad_y_px: float
    input_size: tuple[int, int]

    @classmethod
    def compute(cls, frame_size: tuple[int, int], input_size: tuple[int, int], mode: ResizeMode) -> InputFit:
        """The fit of a `frame_size` (w, h) frame into `input_size` (w, h)."""
        (fw, fh), (iw, ih) = frame_size, input_size
        if mode == "stretch":
            return cls(iw / fw, ih / fh, 0.0, 0.0, input_size)
        scale = min(iw / fw, ih / fh)
        pad_x = (iw - round(fw * scale)) // 2
        pad_y = (ih - round(fh * scale)) // 2
        return cls(scale, scale, float(pad_x), float(pad_y), input_size)

    def apply(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """`image` (H, W, 3) resized and padded to the input size (area interpolation when shrinking)."""
        iw, ih = self.input_size
        h, w = image.shape[:2]
        inner = (round(w * self.scale_x), round(h * self.scale_y))
        shrinking = inner[0] < w
        resized = cv2.resize(image, inner, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
        if inner == (iw, ih):
            return np.asarray(resized, dtype=np.uint8)
        canvas = np.full((ih, iw, 3), _PAD_GREY, dtype=np.uint8)
        x0, y0 = int(self.pad_x_px), int(self.pad_y_px)
        canvas[y0 : y0 + inner[1], x0 : x0 + inner[0]] = resized
        return canvas

    def input_box(
        self, box_px: tuple[float, float, float, float], margin_px: int, multiple_px: int
    ) -> tuple[int, int, int, int]:
        """The part of the model input (x0, y0, x1, y1 input pixels) that holds frame box `box_px`.

        `box_px` is (x0, y0, x1, y1) in frame pixels; the result is widened by
        `margin_px` input pixels on every side, its edges put on multiples of
        `multiple_px` (outwards) and clipped to the input.
        """
        iw, ih = self.input_size
        x0 = box_px[0] * self.scale_x + self.pad_x_px - margin_px
        y0 = box_px[1] * self.scale_y + self.pad_y_px - margin_px
        x1 = box_px[2] * self.scale_x + self.pad_x_px + margin_px
        y1 = box_px[3] * self.scale_y + self.pad_y_px + margin_px

        def down(value: float, limit: int) -> int:
            return min(max(0, int(value // multiple_px) * multiple_px), limit)

        def up(value: float, limit: int) -> int:
            return min(max(0, -int(-value // multiple_px) * multiple_px), limit)

        return down(x0, iw), down(y0, ih), up(x1, iw), up(y1, ih)

    def points_to_frame(self, points: FloatArray) -> FloatArray:
        """Model-input pixels (N, 2) -> frame pixels (N, 2).

        A model's outputs count from the input's top-left corner (pixel i spans
        i to i + 1: a box around the top-left pixel is 0 to 1), frame pixels
        from the top-left pixel's centre (OpenCV's projections and drawing: that
        pixel's centre is 0), so half a frame pixel comes off after scaling back.
        """
        out = np.empty_like(points, dtype=np.float64)
        out[:, 0] = (points[:, 0] - self.pad_x_px) / self.scale_x - 0.5
        out[:, 1] = (points[:, 1] - self.pad_y_px) / self.scale_y - 0.5
        return out

    def boxes_to_frame(self, boxes: FloatArray) -> FloatArray:
        """Model-input boxes (N, 4) x0, y0, x1, y1 -> frame pixels (N, 4)."""
        out = np.empty_like(boxes, dtype=np.float64)
        out[:, 0:2] = self.points_to_frame(boxes[:, 0:2])
        out[:, 2:4] = self.points_to_frame(boxes[:, 2:4])
        return out
