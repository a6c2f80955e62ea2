"""A video file read through OpenCV, at its native rate or as fast as possible."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import cv2

from agent.errors import SourceError
from agent.sources.reopening_capture import CameraHealth, ReopeningCapture
from agent.types import Frame, FrameMeta

# Some containers report 0 or absurd frame rates; fall back to this (frames/s).
_FALLBACK_FPS = 10.0


class VideoFileSource:
    """Frames of a video file; `t_s` is the frame's media time (index / fps) in seconds.

    With `realtime` the source sleeps so frames come at the file's native rate;
    without, frames come as fast as the pipeline takes them (for evaluation).
    With `loop` the file is reopened at its end and media time keeps growing;
    a file that is gone by then is waited for with back-off, as a camera is.

    Raises:
        SourceError: the file is missing or OpenCV cannot decode it.
    """

    def __init__(self, path: Path, *, realtime: bool = True, loop: bool = False) -> None:
        if not path.is_file():
            raise SourceError(f"{path}: video file not found")
        self._path = path
        self._link = ReopeningCapture(
            str(path),
            "a video file OpenCV can decode (unknown container or codec?)",
            lambda: cv2.VideoCapture(str(path)),
        )
        fps = self._link.get(cv2.CAP_PROP_FPS)
        self.fps = fps if 1.0 <= fps <= 240.0 else _FALLBACK_FPS
        self.realtime = realtime
        self._loop = loop
        self._index = 0  # frames yielded so far, over every call of `frames`

    @property
    def health(self) -> CameraHealth:
        """Reopens of a looping file, for the status payload."""
        return self._link.health

    def frames(self) -> Iterator[Frame]:
        """Decoded frames in order until the file ends (never, with `loop`) or `close`.

        Called again (a restarted capture stage), it goes on where it was: media time never goes back.
        """
        started = time.monotonic() - self._index / self.fps
        # From the file's start (first open, or reopened at its end) at least one frame must decode.
        from_start = self._index == 0
        while not self._link.closed:
            image = self._link.read()
            if image is None:
                if from_start and not self._link.closed:
                    raise SourceError(f"{self._path}: no frame could be decoded")
                if not self._loop or not self._link.reopen("end of file", planned=True):
                    return
                from_start = True
                started = time.monotonic() - self._index / self.fps  # after waiting for the file, no burst
                continue
            from_start = False
            t_s = self._index / self.fps
            if self.realtime:
                delay_s = started + t_s - time.monotonic()
                if delay_s > 0 and self._link.wait(delay_s):
                    return
            height, width = image.shape[:2]
            yield Frame(FrameMeta(self._index, t_s, width, height), image)
            self._index += 1

    def close(self) -> None:
        """Release the file; safe to call twice and from another thread."""
        self._link.close()
