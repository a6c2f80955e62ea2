"""Config sections of the frame sources, one model per `source.type`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from agent.config_base import Section
from agent.sim.config import SimSourceConfig
from agent.sources.serial_config import CounterSerialSourceConfig, ToFSerialSourceConfig

# Schemes FFmpeg (OpenCV's stream backend) reads; `file` lets a test stand a video file in for a camera.
STREAM_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https", "tcp", "udp", "file")


class FileSourceConfig(Section):
    """A video file read through OpenCV."""

    type: Literal["file"]
    path: Path
    realtime: bool = Field(
        default=True,
        description="Pace frames at the file's native rate (a slow stage then drops frames, counted); "
        "false = as fast as possible and no frame is ever dropped (evaluation).",
    )
    loop: bool = Field(
        default=False,
        description="Start again at the end of the file (the file is reopened, with back-off if it is gone).",
    )


class CameraSourceConfig(Section):
    """A live camera through OpenCV: a V4L2 device, a network stream or a GStreamer pipeline.

    Give exactly one of `device`, `url` or `pipeline`. Frames are stamped with
    the host's monotonic clock. When frames stop (a read fails, or a stream
    sends nothing for `read_timeout_s`) the camera is reopened with back-off
    from 0.5 s doubling to 30 s, and the status payload says so.
    """

    type: Literal["camera"]
    device: int | str | None = Field(
        default=None,
        description="V4L2 camera: an index (0) or a device path (/dev/video0, /dev/v4l/by-id/...).",
    )
    url: str | None = Field(
        default=None,
        description="A stream FFmpeg reads, e.g. rtsp://user@192.0.2.10:554/stream1 (the password, if "
        "any, is never logged).",
    )
    pipeline: str | None = Field(
        default=None,
        description="A GStreamer pipeline ending in appsink, e.g. libcamerasrc on a Raspberry Pi "
        "(needs an OpenCV built with GStreamer).",
    )
    width_px: int | None = Field(default=None, ge=16, le=8192, description="Requested width (V4L2 only).")
    height_px: int | None = Field(default=None, ge=16, le=8192, description="Requested height (V4L2 only).")
    fps: float | None = Field(default=None, gt=0, le=240, description="Requested frame rate (V4L2 only).")
    open_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="Give up opening a stream (url) after this long."
    )
    read_timeout_s: float = Field(
        default=5.0, gt=0, le=300, description="A stream (url) that sends no frame this long is reopened."
    )

    @field_validator("device")
    @classmethod
    def _device_form(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int) and value < 0:
            raise ValueError(f"device index {value} should be >= 0")
        if isinstance(value, str) and not value.startswith("/dev/"):
            raise ValueError(
                f"device {value!r} should be an index (0) or a path under /dev/, e.g. /dev/video0"
            )
        return value

    @field_validator("url")
    @classmethod
    def _url_scheme(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in STREAM_SCHEMES:
            raise ValueError(
                f"url should start with one of {', '.join(s + '://' for s in STREAM_SCHEMES)}, "
                f"e.g. rtsp://192.0.2.10:554/stream1"
            )
        return value

    @field_validator("pipeline")
    @classmethod
    def _pipeline_appsink(cls, value: str | None) -> str | None:
        if value is not None and "appsink" not in value:
            raise ValueError("pipeline should end in '! appsink' so OpenCV can take its frames")
        return value

    @model_validator(mode="after")
    def _exactly_one_input(self) -> CameraSourceConfig:
        given = [name for name in ("device", "url", "pipeline") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of device, url or pipeline; got "
                + (" and ".join(given) if given else "none")
            )
        return self


SourceConfig = Annotated[
    FileSourceConfig
    | CameraSourceConfig
    | SimSourceConfig
    | ToFSerialSourceConfig
    | CounterSerialSourceConfig,
    Field(discriminator="type"),
]
FrameSourceConfig = FileSourceConfig | CameraSourceConfig | SimSourceConfig
