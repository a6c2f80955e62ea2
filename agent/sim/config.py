"""Config section of the `sim` frame source: a scenario rendered live instead of a camera."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from agent.config_base import Section

_SIZE = re.compile(r"^(\d{2,4})x(\d{2,4})$")


class SimSourceConfig(Section):
    """A simulated store rendered live (`footfall run` without a camera; the demo)."""

    type: Literal["sim"]
    scenario: str = Field(description="Scenario name: entrance, aisle, checkout, busy or night.")
    seed: int = Field(default=1, ge=0, description="Random seed; the same seed gives the same people.")
    fps: float = Field(default=15.0, gt=0, le=60, description="Frames per second.")
    size: str = Field(default="640x480", description="Image size WIDTHxHEIGHT in pixels.")
    realtime: bool = Field(default=True, description="Pace frames at fps; false = as fast as possible.")
    minutes: float | None = Field(
        default=None, gt=0, description="Stop after this many simulated minutes; unset = run until stopped."
    )

    @field_validator("scenario")
    @classmethod
    def _known_scenario(cls, value: str) -> str:
        from agent.sim.scenarios import SCENARIOS

        if value not in SCENARIOS:
            raise ValueError(f"unknown scenario {value!r}, expected one of: {', '.join(SCENARIOS)}")
        return value

    @field_validator("size")
    @classmethod
    def _size_format(cls, value: str) -> str:
        match = _SIZE.match(value)
        if not match or int(match.group(1)) < 64 or int(match.group(2)) < 48:
            raise ValueError(f"size {value!r} should be WIDTHxHEIGHT pixels, at least 64x48, e.g. '640x480'")
        return value

    @property
    def width_px(self) -> int:
        """Image width in pixels."""
        return int(self.size.split("x")[0])

    @property
    def height_px(self) -> int:
        """Image height in pixels."""
        return int(self.size.split("x")[1])
