"""Config sections of the calibration stage, one model per `calibration.type`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from agent.config_base import FloorXY, Section


class ScaleCalibrationConfig(Section):
    """A straight-down camera described by a single ground scale (no lens model).

    Floor x = (u - origin_u) * metres_per_pixel, floor y = (origin_v - v) * metres_per_pixel:
    floor +y is up the image, as on a map.
    """

    type: Literal["scale"]
    metres_per_pixel: float = Field(gt=0, le=1.0)
    origin_px: FloorXY = Field(description="The pixel (u, v) over floor (0, 0).")


class FileCalibrationConfig(Section):
    """A lens-and-pose calibration file written by `footfall calibrate`."""

    type: Literal["file"]
    path: Path
    point_height_m: float = Field(
        default=0.0, ge=0, lt=3.0, description="Height of the detected point: 0 feet, ~1.6 head top."
    )
    height_model: Path | None = Field(
        default=None,
        description="Head-top detectors: an ONNX model that reads each person's height from their head "
        "in the picture (models/footfall_height.onnx); zones and the heatmap then place each tracked "
        "person at their own height instead of point_height_m (lines count where the tracker follows "
        "them). None = off.",
    )
    height_every: int = Field(
        default=3,
        ge=1,
        description="With height_model: read heights on one detected frame in this many, for the tracks "
        "that have fewer than 10 readings (one small network per person each time); a track reports "
        "its mean after 3.",
    )


CalibrationConfig = Annotated[ScaleCalibrationConfig | FileCalibrationConfig, Field(discriminator="type")]
