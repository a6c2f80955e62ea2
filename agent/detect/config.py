"""Config sections of the detectors, one model per `detector.type`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from agent.config_base import Section


class BackgroundDetectorConfig(Section):
    """Moving-blob detector: OpenCV MOG2 background subtraction, morphology and contours."""

    type: Literal["background"]
    history_frames: int = Field(default=200, gt=0)
    var_threshold: float = Field(default=25.0, gt=0)
    min_area_px: int = Field(default=150, gt=0, description="Smaller blobs are noise.")
    max_area_px: int = Field(default=40_000, gt=0, description="Larger blobs are lighting changes.")
    warmup_frames: int = Field(default=10, ge=0, description="Frames used only to learn the background.")

    @model_validator(mode="after")
    def _areas_ordered(self) -> BackgroundDetectorConfig:
        if self.max_area_px <= self.min_area_px:
            raise ValueError(
                f"max_area_px ({self.max_area_px}) must be greater than min_area_px ({self.min_area_px})"
            )
        return self


DetectorConfig = Annotated[BackgroundDetectorConfig, Field(discriminator="type")]
