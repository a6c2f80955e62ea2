"""Config sections of the serial sensors, one model per `source.type`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agent.config_base import ID_PATTERN, Section


class ToFSerialSourceConfig(Section):
    """A multizone time-of-flight sensor looking straight down over a doorway, on a serial port.

    Floor positions are metres under the sensor (origin at the nadir, x along
    the zone columns, y towards row 0), so `[[lines]]` are given in that frame.
    """

    type: Literal["tof_serial"]
    port: str = Field(
        min_length=1, description="Device path or pyserial URL (loop://, socket://, rfc2217://)."
    )
    baudrate: int = Field(default=115_200, ge=300, le=4_000_000)
    fov_deg: float = Field(
        default=45.0, ge=10, le=120, description="Field of view across the zones, degrees."
    )
    min_height_m: float = Field(
        default=1.0,
        ge=0.1,
        le=2.2,
        description="Ignore anything lower: trolleys, prams (children below it too).",
    )
    learn_frames: int = Field(default=15, ge=1, description="Frames of empty floor learnt at start.")
    frame_rate_hz: float = Field(
        default=15.0, gt=0, le=120, description="The sensor's frame rate; tracking times frames by their seq."
    )


class CounterSerialSourceConfig(Section):
    """A device that counts by itself (IN/OUT) or senses presence (PIR), on a serial port."""

    type: Literal["counter_serial"]
    port: str = Field(
        min_length=1, description="Device path or pyserial URL (loop://, socket://, rfc2217://)."
    )
    baudrate: int = Field(default=115_200, ge=300, le=4_000_000)
    line: str = Field(default="door", pattern=ID_PATTERN, description="Line name its IN/OUT events count on.")
    presence_zone: str = Field(
        default="sensor", pattern=ID_PATTERN, description="Zone name its presence seconds are reported under."
    )
