"""The base of every config section model, and the value types sections share."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# Site, device, line and zone ids become MQTT topic levels and payload keys: no
# wildcards, no separators, nothing a shell or a broker ACL would trip over.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

FloorXY = tuple[float, float]


def parse_size_px(text: str) -> tuple[int, int] | None:
    """ "640x480" -> (640, 480): an image size as WIDTHxHEIGHT pixels; None for anything else."""
    width, separator, height = text.lower().partition("x")
    if not (separator and width.isdigit() and height.isdigit()):
        return None
    return int(width), int(height)


class Section(BaseModel):
    """Base of every config section: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)
