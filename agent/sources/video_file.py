"""A video file read through OpenCV, at its native rate or as fast as possible."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import cv2

from agent.errors import SourceError
from agent.types import Frame, FrameMeta

# Some containers report 0 or absurd frame rates; fall back to this (frames/s).
_FALLBACK_FPS = 10.0


class VideoFileSource:
    """Frames of a video file; `t_s` is the frame's media time (index / fps) in seconds.

    With `realtime` the source sleeps so frames come at the file's native rate;
    without, frames come as fast as the pipeline takes them (for evaluation).
    With `loop` the file starts again at its end and media time keeps growing.

    Raises:
        SourceError: the file is missing or OpenCV cannot decode it.
    """

    def __init__(self, path: Path, *, realtime: bool = True, loop: bool = False) -> None:
        if not path.is_file():
            raise SourceError(f"{path}: video file not found")
        self._path = path
        self._capture = cv2.VideoCapture(str(path))
        if not self._capture.isOpened():
            raise SourceError(f"{path}: OpenCV cannot open this file as video (unknown container or codec)")
        fps = float(self._capture.get(cv2.CAP_PROP_FPS))
        self.fps = fps if 1.0 <= fps <= 240.0 else _FALLBACK_FPS
        self._realtime = realtime
        self._loop = loop

    def frames(self) -> Iterator[Frame]:
        """Decoded frames in order until the file ends (never, with `loop`)."""
        index = 0
        started = time.monotonic()
        while True:
            ok, image = self._capture.read()
            if not ok:
                if index == 0:
                    raise SourceError(f"{self._path}: no frame could be decoded")
                if not self._loop or not self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0):
                    return
                continue
            t_s = index / self.fps
            if self._realtime:
                delay_s = started + t_s - time.monotonic()
                if delay_s > 0:
                    time.sleep(delay_s)
            height, width = image.shape[:2]
            yield Frame(FrameMeta(index, t_s, width, height), image)
            index += 1

    def close(self) -> None:
        """Release the file."""
        self._capture.release()
