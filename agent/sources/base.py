"""The interface every frame source implements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from agent.types import Frame


class FrameSource(Protocol):
    """Yields frames in RAM until the source ends or `close` is called."""

    def frames(self) -> Iterator[Frame]:
        """Frames in order; `Frame.meta.t_s` is seconds since the source started."""
        ...

    def close(self) -> None:
        """Release the device or file. Safe to call twice."""
        ...
