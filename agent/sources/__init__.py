"""Frame sources, chosen by the config's `source.type`."""

from __future__ import annotations

from agent.sources.base import FrameSource
from agent.sources.config import FrameSourceConfig
from agent.sources.video_file import VideoFileSource


def build_source(config: FrameSourceConfig) -> FrameSource:
    """The source the config names.

    Raises:
        SourceError: the source cannot be opened.
    """
    if config.type == "sim":
        from agent.sim.source import SimSource

        return SimSource(config)
    return VideoFileSource(config.path, realtime=config.realtime, loop=config.loop)


__all__ = ["FrameSource", "VideoFileSource", "build_source"]
