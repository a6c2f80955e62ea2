"""Config sections of the frame sources, one model per `source.type`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from agent.config_base import Section
from agent.sim.config import SimSourceConfig
from agent.sources.serial_config import CounterSerialSourceConfig, ToFSerialSourceConfig


class FileSourceConfig(Section):
    """A video file read through OpenCV."""

    type: Literal["file"]
    path: Path
    realtime: bool = Field(
        default=True, description="Pace frames at the file's native rate; false = as fast as possible."
    )
    loop: bool = Field(default=False, description="Start again at the end of the file.")


SourceConfig = Annotated[
    FileSourceConfig | SimSourceConfig | ToFSerialSourceConfig | CounterSerialSourceConfig,
    Field(discriminator="type"),
]
FrameSourceConfig = FileSourceConfig | SimSourceConfig
