"""Config sections of the detectors, one model per `detector.type`, and the motion gate's."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from agent.config_base import Section


class MotionGateConfig(Section):
    """Skip detection while nothing moves: a cheap comparison of small grey frames.

    A frame is compared with the one at the last detection (not the previous
    frame, so slow movement adds up). Detection runs when more than
    `min_changed_fraction` of the small frame's pixels changed by more than
    `pixel_threshold` grey levels (after each frame is divided by its local
    brightness, so auto exposure and lights switching do not count), and at
    least every `max_interval_s` seconds whatever happens while anyone is
    tracked, so people standing still are seen again; while nobody is, every
    `idle_interval_s` (someone new comes into view moving, which opens the
    gate anyway: a lone walker entering under a pinhole camera 3.2 m up
    changes 10-30 of the small frame's 3,072 pixels within a second of
    coming into view, so `min_changed_fraction` is 0.005, 15 pixels; at
    0.01 the gate opened for two of the `entrance` walkers of seeds 5-7
    only after they had crossed the door line, 1 s after they came into
    view, and they were never counted). A frame whose average brightness
    jumped by more than `light_jump_grey` since the frame before (a light bank switching or a
    tube flickering as it starts) is not taken as movement; while the light
    keeps jumping, detection runs every `max_interval_s` even in an empty
    shop. While a track awaits confirmation (a newcomer, fewer than the
    tracker's `min_hits` detections), detection runs on every frame, so the
    newcomer is confirmed, and counted, without waiting for the picture to
    change enough; and while anyone tracked is within `line_watch_m` of a
    counting line, so a shopper who stood by a line and walks across it is
    seen crossing (one person walking under a camera 3-4 m up changes about
    20 of the small frame's 3,072 pixels, under `min_changed_fraction`).
    Skipped frames do not age tracks (the trackers' `detected=False`).
    With `regions`, a detection that movement asked for looks only around
    what moved and the people found the last time (a model of free input
    size, as the shipped one; others look at the whole frame).
    """

    enabled: bool = True
    width_px: int = Field(default=64, ge=16, le=320, description="Width of the small grey frame (pixels).")
    pixel_threshold: float = Field(
        default=20.0, gt=0, le=255, description="Grey levels (0-255) after brightness normalisation."
    )
    min_changed_fraction: float = Field(
        default=0.005,
        gt=0,
        lt=1,
        description="About one person's area seen from 3.2-3.5 m: someone walking in alone opens the gate.",
    )
    max_interval_s: float = Field(
        default=1.0, gt=0, le=60, description="Detect at least this often while anyone is tracked (s)."
    )
    idle_interval_s: float = Field(
        default=10.0, gt=0, le=600, description="Detect at least this often while nobody is tracked (s)."
    )
    regions: bool = Field(
        default=True,
        description="When movement opens the gate, detect only around what moved and the people found "
        "at the last detection (models of free input size, as the shipped one); the whole frame at least "
        "every max_interval_s while anyone is tracked, every idle_interval_s while nobody is.",
    )
    light_jump_grey: float = Field(
        default=40.0,
        gt=0,
        le=255,
        description="A frame this much brighter or darker on average than the one before (grey levels "
        "0-255) is a light switching or flickering, not movement: it does not open the gate.",
    )
    line_watch_m: float = Field(
        default=1.0,
        ge=0,
        le=10,
        description="While anyone tracked is this close to a counting line (m), detect on every frame, "
        "so no passage happens between two detections; 0 = lines get no more looks than elsewhere.",
    )

    @model_validator(mode="after")
    def _idle_not_shorter(self) -> MotionGateConfig:
        if self.idle_interval_s < self.max_interval_s:
            raise ValueError(
                f"idle_interval_s ({self.idle_interval_s}) must not be shorter than "
                f"max_interval_s ({self.max_interval_s})"
            )
        return self


class BackgroundDetectorConfig(Section):
    """Moving-blob detector: OpenCV MOG2 background subtraction, morphology and contours.

    With a calibrated camera (`calibration.type = "file"`), blobs bigger than
    one person at their place in the image are split into as many people as
    their area holds; the expected size comes from a person of
    `person_height_m` and `person_width_m` projected through the camera.
    """

    type: Literal["background"]
    history_frames: int = Field(default=200, gt=0)
    var_threshold: float = Field(default=25.0, gt=0)
    min_area_px: int = Field(default=150, gt=0, description="Smaller blobs are noise.")
    max_area_px: int = Field(default=40_000, gt=0, description="Larger blobs are lighting changes.")
    warmup_frames: int = Field(default=10, ge=0, description="Frames used only to learn the background.")
    split_blobs: bool = Field(
        default=True, description="Split blobs holding several people (needs a camera model)."
    )
    person_height_m: float = Field(default=1.7, gt=0.5, lt=2.5)
    person_width_m: float = Field(default=0.5, gt=0.1, lt=1.5, description="Shoulder width plus arms.")

    @model_validator(mode="after")
    def _areas_ordered(self) -> BackgroundDetectorConfig:
        if self.max_area_px <= self.min_area_px:
            raise ValueError(
                f"max_area_px ({self.max_area_px}) must be greater than min_area_px ({self.min_area_px})"
            )
        return self


class OnnxDetectorConfig(Section):
    """A neural detector on ONNX Runtime (CPU): the shipped overhead model or a YOLO/SSD export.

    `format` names the output layout, or `auto` reads it from the model's
    metadata or output shapes (see agent/detect/formats.py). Box formats give
    the box's `point` (centre for an overhead camera, bottom for an oblique
    one) as the detection point; `person_class` is the class id of a person
    (default: 0 for YOLO's COCO classes, 1 for SSD's TensorFlow label map).
    """

    type: Literal["onnx"]
    model: Path = Field(description="The .onnx file, e.g. models/footfall_head_int8.onnx.")
    format: Literal["auto", "centrepoint", "yolov5", "yolov8", "ssd"] = "auto"
    score_threshold: float = Field(default=0.4, gt=0, le=1)
    nms_iou: float = Field(default=0.45, gt=0, le=1, description="Boxes overlapping more are one person.")
    max_detections: int = Field(default=200, gt=0)
    person_class: int | None = Field(default=None, ge=0)
    point: Literal["centre", "top", "bottom"] = "centre"
    resize: Literal["letterbox", "stretch"] = "letterbox"
    input_size: tuple[int, int] | None = Field(
        default=None,
        description="(width, height) pixels, for models whose input size is dynamic. The shipped model "
        "takes multiples of 16 and defaults to the 320 x 240 it was trained at; under a wide fisheye, "
        "where heads are a few pixels, [576, 432] with views = 2 finds more of them for about 2.6 times "
        'the inference (the installer\'s setting there, models/README.md "Views").',
    )
    ssd_box_order: Literal["yxyx", "xyxy"] = "yxyx"
    same_person_m: float = Field(
        default=0.3,
        ge=0,
        le=2,
        description="A detection this close on the floor (metres, at the calibration's point height) to "
        "one scoring more than 1 / same_person_score_ratio times as high is the same person (a shoulder, "
        "a bag) and is dropped. 0: off. Needs the calibration; without one nothing is dropped.",
    )
    same_person_score_ratio: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="See same_person_m: how much weaker than its neighbour a detection must be to go.",
    )
    same_head_m: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="Two detections this close on the floor (metres, at the calibration's point height) "
        "are one head whatever they score, and the weaker is dropped: adults' head tops are never this "
        "close, but a model may put two peaks on one large head. 0: off. Needs the calibration.",
    )
    views: Literal[1, 2, 4] = Field(
        default=1,
        description="Centre-point models only: run the model on the picture as it is (1), also mirrored "
        "left-right (2), and also upside down and both (4), and average the heatmaps before finding heads. "
        "A ceiling view has no up, so every view is a fair picture; averaging drops the weak peaks one "
        "view puts on a shoulder or a bag. Costs that many inferences per frame.",
    )
    threads: int = Field(default=1, ge=1, le=64, description="ONNX Runtime intra-op threads.")
    graph_optimisation: Literal["disable", "basic", "extended", "all"] = "all"
    motion_gate: MotionGateConfig = MotionGateConfig()

    @model_validator(mode="after")
    def _input_size_positive(self) -> OnnxDetectorConfig:
        if self.input_size is not None and min(self.input_size) < 16:
            raise ValueError(f"input_size {list(self.input_size)} should be at least 16 x 16 pixels")
        return self


DetectorConfig = Annotated[BackgroundDetectorConfig | OnnxDetectorConfig, Field(discriminator="type")]
