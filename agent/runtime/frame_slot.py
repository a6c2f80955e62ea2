"""The hand-over between the capture and processing threads: one slot holding the newest frame.

Why one slot and not a queue: a live camera must never wait for a slow
stage, and a queue would only add latency before it overflowed. A frame
replaced before processing took it is dropped and counted. A source read as
fast as possible (evaluation, `lossless`) instead waits for the slot to
empty, so every frame is processed and results stay exact.
"""

from __future__ import annotations

import threading

from agent.types import Frame


class FrameSlot:
    """Holds at most one frame; `put` from the capture thread, `take` from the processing thread.

    `frames_in` counts frames put, `frames_dropped` those replaced unseen
    (always 0 when `lossless`). `end` marks the end of the stream.
    """

    def __init__(self, stop: threading.Event, *, lossless: bool) -> None:
        self._stop = stop
        self.lossless = lossless
        self._frame: Frame | None = None
        self._ended = False
        self._changed = threading.Condition()
        self.frames_in = 0
        self.frames_dropped = 0

    def put(self, frame: Frame) -> None:
        """Offer the newest frame: replaces an untaken one (dropped), or waits for it to be taken if lossless.

        Returns without storing the frame once `stop` is set.
        """
        with self._changed:
            if self.lossless:
                while self._frame is not None and not self._stop.is_set():
                    self._changed.wait(0.1)
                if self._stop.is_set():
                    return
            elif self._frame is not None:
                self.frames_dropped += 1
            self._frame = frame
            self.frames_in += 1
            self._changed.notify_all()

    def take(self, timeout_s: float) -> Frame | None:
        """The newest frame, waiting up to `timeout_s`; None if none came (see `ended`)."""
        with self._changed:
            if self._frame is None and not self._ended:
                self._changed.wait(timeout_s)
            frame, self._frame = self._frame, None
            self._changed.notify_all()
            return frame

    def end(self) -> None:
        """The source has no more frames: `take` stops waiting once the last one is taken."""
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    @property
    def ended(self) -> bool:
        """Whether the stream ended and its last frame was taken."""
        with self._changed:
            return self._ended and self._frame is None
