"""The capture stage: reads the frame source on its own thread into the `FrameSlot`."""

from __future__ import annotations

import threading

from agent.runtime.frame_slot import FrameSlot
from agent.sources.base import FrameSource


class FrameCapture:
    """Moves frames from `source` into `slot` until the source ends or `stop` is set.

    Run by the supervisor on the capture thread; an exception from the source
    propagates to it (and the stage is restarted). A source that ends (a file)
    ends the stream in the slot.
    """

    name = "capture"

    def __init__(self, source: FrameSource, slot: FrameSlot, stop: threading.Event) -> None:
        self._source = source
        self._slot = slot
        self._stop = stop

    def run(self) -> None:
        """Read frames into the slot; returns when the source ends or `stop` is set."""
        for frame in self._source.frames():
            if self._stop.is_set():
                return
            self._slot.put(frame)
        if not self._stop.is_set():
            self._slot.end()
