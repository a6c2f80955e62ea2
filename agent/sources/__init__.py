"""Frame sources, chosen by the config's `source.type`."""

from __future__ import annotations

from agent.sources.base import FrameSource
from agent.sources.camera import CameraSource
from agent.sources.config import CameraSourceConfig, FrameSourceConfig
from agent.sources.reopening_capture import CameraHealth
from agent.sources.video_file import VideoFileSource


def build_source(config: FrameSourceConfig) -> FrameSource:
    """The source the config names.

    Raises:
        SourceError: the source cannot be opened (names the file, device or URL).
    """
    if config.type == "sim":
        from agent.sim.source import SimSource

        return SimSource(config)
    if isinstance(config, CameraSourceConfig):
        return CameraSource(config)
    return VideoFileSource(config.path, realtime=config.realtime, loop=config.loop)


def is_live(config: FrameSourceConfig) -> bool:
    """Whether frames come at their own pace (a camera, or a source paced in real time).

    A live source may drop frames when processing is slow; a source read as
    fast as possible (`realtime = false`, evaluation) must never drop one.
    """
    return isinstance(config, CameraSourceConfig) or config.realtime


__all__ = ["CameraHealth", "CameraSource", "FrameSource", "VideoFileSource", "build_source", "is_live"]
