"""A live camera through OpenCV: a V4L2 device, a network stream (RTSP) or a GStreamer pipeline.

A camera that stops delivering frames (unplugged, rebooted, network gone)
is reopened with capped exponential back-off while the agent keeps running;
its `health` feeds the status payload. A camera missing at start is an
error naming it, as for a serial port: systemd restarts the agent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import cv2

from agent.errors import SourceError
from agent.sources.config import CameraSourceConfig
from agent.sources.reopening_capture import CameraHealth, ReopeningCapture
from agent.types import Frame, FrameMeta


def redact_url(url: str) -> str:
    """`url` without its password (`rtsp://user:***@host/...`), for logs and status."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def describe_camera(config: CameraSourceConfig) -> tuple[str, str]:
    """(what is opened, what should be there): the two halves of every camera error message."""
    if config.device is not None:
        return (
            f"camera {config.device}",
            "a V4L2 camera delivering frames (plugged in? `v4l2-ctl --list-devices`; user in group video?)",
        )
    if config.url is not None:
        return (
            f"camera stream {redact_url(config.url)}",
            "a video stream FFmpeg can read (camera on the network? path and credentials right?)",
        )
    return (
        f"camera pipeline '{config.pipeline}'",
        "a GStreamer pipeline ending in appsink that starts (try it with gst-launch-1.0)",
    )


def open_camera(config: CameraSourceConfig) -> cv2.VideoCapture:
    """A new `VideoCapture` for the config's device, URL or pipeline (check `isOpened`).

    Raises:
        SourceError: a pipeline is configured but this OpenCV was built without GStreamer.
    """
    if config.pipeline is not None:
        if not cv2.videoio_registry.hasBackend(cv2.CAP_GSTREAMER):
            raise SourceError(
                f"camera pipeline '{config.pipeline}': this OpenCV was built without GStreamer "
                "(see cv2.getBuildInformation()); install the distribution's python3-opencv, or use "
                "source.device or source.url"
            )
        return cv2.VideoCapture(config.pipeline, cv2.CAP_GSTREAMER)
    if config.url is not None:
        # Timeouts only for FFmpeg: OpenCV refuses to open when a backend ignores a parameter.
        timeouts = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            round(config.open_timeout_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            round(config.read_timeout_s * 1000),
        ]
        return cv2.VideoCapture(config.url, cv2.CAP_FFMPEG, timeouts)
    assert config.device is not None  # the config model demands exactly one input
    capture = cv2.VideoCapture(config.device, cv2.CAP_V4L2)
    if capture.isOpened():
        # Requests: the driver picks the nearest mode it has.
        if config.width_px is not None:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, config.width_px)
        if config.height_px is not None:
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, config.height_px)
        if config.fps is not None:
            capture.set(cv2.CAP_PROP_FPS, config.fps)
    return capture


class CameraSource:
    """Frames from a live camera; `t_s` is host monotonic seconds since the source opened.

    Raises:
        SourceError: the camera cannot be opened at start (names it and what was expected).
    """

    def __init__(self, config: CameraSourceConfig) -> None:
        name, expected = describe_camera(config)
        self._link = ReopeningCapture(name, expected, lambda: open_camera(config))
        self._started_s = time.monotonic()
        self._index = 0

    @property
    def health(self) -> CameraHealth:
        """Connected, reopens and the last error, for the status payload."""
        return self._link.health

    def frames(self) -> Iterator[Frame]:
        """Frames as the camera delivers them, reopening it whenever they stop, until `close`."""
        while not self._link.closed:
            image = self._link.read()
            if image is None:
                if not self._link.reopen("no frame (the read failed or timed out)"):
                    return
                continue
            height, width = image.shape[:2]
            yield Frame(FrameMeta(self._index, time.monotonic() - self._started_s, width, height), image)
            self._index += 1

    def close(self) -> None:
        """Release the camera; safe to call twice and from another thread."""
        self._link.close()
