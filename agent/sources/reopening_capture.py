"""An OpenCV `VideoCapture` that reopens itself with back-off when its frames stop.

Shared by the camera and the looping file source. Why a lock: OpenCV must
not release a capture while another thread is inside `read`, and `close`
comes from the pipeline's thread while the capture thread reads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from agent.errors import SourceError

log = logging.getLogger(__name__)

BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 30.0
# While a camera stays away, a line about it at most this often (seconds).
_STILL_AWAY_LOG_S = 300.0


@dataclass
class CameraHealth:
    """A camera's link since start, for the status payload."""

    connected: bool = False
    reopens: int = 0
    last_error: str = ""


class ReopeningCapture:
    """Reads images from `open_capture()`'s capture; `reopen` replaces it with back-off.

    `name` says what is opened (a device, a URL without its password, a
    file); `expected` says what should be there, for the error message.

    Raises:
        SourceError: the first open fails (names `name` and `expected`).
    """

    def __init__(self, name: str, expected: str, open_capture: Callable[[], cv2.VideoCapture]) -> None:
        # OpenCV's own warning at every failed open ("backend ... can't be used to capture by name")
        # misleads and would repeat at each back-off attempt; our one line per event says it better.
        cv2.utils.logging.setLogLevel(min(cv2.utils.logging.getLogLevel(), cv2.utils.logging.LOG_LEVEL_ERROR))
        self.name = name
        self._expected = expected
        self._open_capture = open_capture
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self.health = CameraHealth()
        self._capture: cv2.VideoCapture | None = self._open()
        self.health.connected = True

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        return self._closed.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True if `close` was called meanwhile."""
        return self._closed.wait(seconds)

    def get(self, prop: int) -> float:
        """An OpenCV capture property (e.g. `cv2.CAP_PROP_FPS`); 0.0 while closed."""
        with self._lock:
            return float(self._capture.get(prop)) if self._capture is not None else 0.0

    def _open(self) -> cv2.VideoCapture:
        try:
            capture = self._open_capture()
        except cv2.error as exc:
            raise SourceError(f"{self.name}: cannot open: {exc}; expected {self._expected}") from None
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"{self.name}: cannot open; expected {self._expected}")
        return capture

    def read(self) -> np.ndarray | None:
        """The next image (BGR or grey, in RAM); None when the read failed, timed out or after `close`."""
        with self._lock:
            if self._capture is None:
                return None
            ok, image = self._capture.read()
        return image if ok and image is not None and image.size else None

    def reopen(self, reason: str, *, planned: bool = False) -> bool:
        """Release the capture and open it again, with back-off, until it opens or `close` is called.

        `planned` (a looping file at its end) is neither logged nor counted unless
        the first attempt fails. Returns True once open, False after `close`.
        """
        self._release()
        if planned:
            try:
                self._install(self._open())
                return True
            except SourceError as exc:
                reason = f"{reason}, and it cannot be reopened: {exc}"
        self.health.connected = False
        self.health.last_error = reason
        log.warning("%s: %s; reopening with back-off", self.name, reason)
        delay_s, attempts, logged_s = BACKOFF_START_S, 0, time.monotonic()
        while not self._closed.wait(delay_s):
            attempts += 1
            try:
                capture = self._open()
            except SourceError as exc:
                self.health.last_error = str(exc)
                if time.monotonic() - logged_s >= _STILL_AWAY_LOG_S:
                    logged_s = time.monotonic()
                    log.warning("%s: still unavailable after %d attempt(s): %s", self.name, attempts, exc)
                delay_s = min(BACKOFF_MAX_S, delay_s * 2)
                continue
            if not self._install(capture):
                return False
            self.health.reopens += 1
            self.health.connected = True
            log.info("%s: reopened after %d attempt(s)", self.name, attempts)
            return True
        return False

    def _install(self, capture: cv2.VideoCapture) -> bool:
        with self._lock:
            if self._closed.is_set():
                capture.release()
                return False
            self._capture = capture
        return True

    def _release(self) -> None:
        with self._lock:
            if self._capture is not None:
                self._capture.release()
                self._capture = None

    def close(self) -> None:
        """Stop any back-off and release the capture (after a read in progress ends). Safe to call twice."""
        self._closed.set()
        self._release()
