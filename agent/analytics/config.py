"""Config sections of the analytics: lines, zones, heatmap, buckets, privacy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from agent.config_base import ID_PATTERN, FloorXY, Section


class LineConfig(Section):
    """A counting line on the floor, metres. "in" is on the `in_side` of start -> end."""

    name: str = Field(pattern=ID_PATTERN)
    start: FloorXY
    end: FloorXY
    in_side: Literal["left", "right"] = "left"
    hysteresis_m: float = Field(
        default=0.2,
        ge=0,
        description="Distance past the line before a count; a person first seen closer than this to the "
        "line starts on the side they are on.",
    )
    mode: Literal["immediate", "late"] = Field(
        default="immediate",
        description="immediate: count on crossing; late: count when the track ends, by its net direction.",
    )

    @model_validator(mode="after")
    def _has_length(self) -> LineConfig:
        if self.start == self.end:
            raise ValueError(f"start and end are the same point {list(self.start)}; a line needs length > 0")
        return self


class ZoneConfig(Section):
    """A zone polygon on the floor, metres, at least three corners."""

    name: str = Field(pattern=ID_PATTERN)
    polygon: list[FloorXY] = Field(min_length=3)
    enter_s: float = Field(default=0.5, ge=0, description="Inside this long before a visit starts.")
    exit_s: float = Field(
        default=2.0, ge=0, description="Outside this long before a visit ends (pauses, occlusion)."
    )


class HeatmapConfig(Section):
    """Heatmap grid on the floor."""

    enabled: bool = False
    cell_m: float = Field(default=0.5, gt=0, le=10)
    origin_m: FloorXY | None = Field(default=None, description="Grid corner; default: lines and zones + 1 m.")
    size_m: FloorXY | None = Field(default=None, description="Grid width and depth; with origin_m.")


class AggregationConfig(Section):
    """Time buckets of the published reports."""

    bucket_s: int = Field(default=60, ge=1, le=86_400, description="Bucket length in seconds.")


class PrivacyConfig(Section):
    """Small-count suppression (rule 2 of DESIGN.md)."""

    min_people_k: int = Field(
        default=3, ge=1, description="Cells, flows and dwell bins seen by fewer people are withheld."
    )
