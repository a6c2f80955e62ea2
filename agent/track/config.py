"""Config section of the tracker."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agent.config_base import Section


class TrackerConfig(Section):
    """Tracker settings, in floor metres and seconds."""

    type: Literal["nearest"] = "nearest"
    max_distance_m: float = Field(default=0.8, gt=0, description="Gate: farther detections never match.")
    min_hits: int = Field(default=3, ge=1, description="Detections needed before a track counts.")
    max_age_s: float = Field(default=1.0, gt=0, description="A track unseen this long is ended.")
