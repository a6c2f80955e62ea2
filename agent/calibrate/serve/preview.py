"""The installer's live preview: the one place in the agent where a frame is encoded.

DESIGN.md rule 1 allows exactly one exception to "no image leaves the frame
buffer": this preview, started only by ``footfall calibrate serve``. Each
frame is drawn on (detections, track tails, counting lines with their "in"
arrow, zones) in a copy in RAM, encoded to JPEG with ``cv2.imencode`` in
memory, and written to the authenticated browser's socket as one part of an
MJPEG stream (multipart/x-mixed-replace). Nothing is written to a file, a
log or MQTT, and nothing is kept: the next frame replaces the last.
tests/test_privacy_static.py allows image encoders in this module only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import cv2
import numpy as np

from agent.calibrate.serve.live import LiveSession, LiveView
from agent.calibrate.serve.overlay import floor_to_runs, line_arrow_m, shape_runs
from agent.geometry.camera import CameraModel

BOUNDARY = "footfall-frame"
CONTENT_TYPE = f"multipart/x-mixed-replace; boundary={BOUNDARY}"
# BGR colours, as the page's legend names them.
_LINE = (255, 200, 0)  # cyan-blue: counting lines and their "in" arrow
_ZONE = (0, 190, 255)  # amber: zones
_DETECTION = (60, 60, 255)  # red: detected points and boxes
_TAIL = (80, 220, 80)  # green: track tails


class PreviewEncoder:
    """Draws the live overlay on frames of a `LiveSession` and encodes them as JPEG in memory.

    Raises:
        ValueError: ``quality`` is not in 10..95 or ``max_fps`` is not > 0.
    """

    def __init__(self, session: LiveSession, quality: int = 70, max_fps: float = 10.0) -> None:
        if not 10 <= quality <= 95:
            raise ValueError(f"quality is {quality}, should be in 10..95")
        if not max_fps > 0:
            raise ValueError(f"max_fps is {max_fps}, should be > 0")
        self._session = session
        self._quality = quality
        self._period_s = 1.0 / max_fps
        self._layout_key: tuple[object, ...] | None = None
        self._layout_camera: CameraModel | None = None
        self._layout_runs: list[tuple[list[list[tuple[float, float]]], tuple[int, int, int], bool]] = []
        self._arrows: list[tuple[tuple[float, float], tuple[float, float]]] = []

    def jpeg(self, view: LiveView) -> bytes:
        """The frame of ``view`` with its overlay, as JPEG bytes (in memory only).

        Raises:
            RuntimeError: OpenCV could not encode the image.
        """
        image = view.frame.image
        canvas = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image.copy()
        camera = self._session.camera
        if camera is not None:
            self._draw_layout(canvas, camera)
            self._draw_tails(canvas, camera, view)
        self._draw_detections(canvas, view)
        ok, encoded = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, self._quality])
        if not ok:
            raise RuntimeError("OpenCV could not encode the preview frame as JPEG")
        return bytes(encoded.tobytes())

    def parts(self, stop: threading.Event) -> Iterator[bytes]:
        """MJPEG parts, one per new frame and at most ``max_fps`` per second, until ``stop`` is set."""
        index = -1
        while not stop.is_set() and not self._session.closed:
            started_s = time.monotonic()
            view = self._session.latest(after_index=index, timeout_s=1.0)
            if view is None:
                continue
            index = view.frame.meta.index
            payload = self.jpeg(view)
            del view  # the frame is not kept while the socket is written
            head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(payload)}\r\n\r\n"
            yield head.encode("ascii") + payload + b"\r\n"
            rest_s = self._period_s - (time.monotonic() - started_s)
            if rest_s > 0:
                stop.wait(rest_s)

    def _draw_layout(self, canvas: np.ndarray, camera: CameraModel) -> None:
        lines, zones = self._session.lines, self._session.zones
        key = (lines, zones)
        if (
            camera is not self._layout_camera or key != self._layout_key
        ):  # projection is done once per change, not per frame
            self._layout_runs = [
                (shape_runs(camera, zone.polygon, closed=True), _ZONE, False) for zone in zones
            ]
            self._layout_runs += [(shape_runs(camera, [line.start, line.end]), _LINE, True) for line in lines]
            self._arrows = []
            for line in lines:
                runs = floor_to_runs(camera, line_arrow_m(line), margin_px=0.0)
                if runs and len(runs[0]) == 2:
                    self._arrows.append((runs[0][0], runs[0][1]))
            self._layout_key, self._layout_camera = key, camera
        for runs, colour, thick in self._layout_runs:
            for run in runs:
                points = np.round(np.asarray(run)).astype(np.int32).reshape(-1, 1, 2)
                cv2.polylines(canvas, [points], False, colour, 3 if thick else 2, cv2.LINE_AA)
        for tail, head in self._arrows:
            start = (round(tail[0]), round(tail[1]))
            end = (round(head[0]), round(head[1]))
            cv2.arrowedLine(canvas, start, end, _LINE, 2, cv2.LINE_AA, tipLength=0.3)

    def _draw_tails(self, canvas: np.ndarray, camera: CameraModel, view: LiveView) -> None:
        for tail in view.tails_m:
            for run in floor_to_runs(camera, tail, self._session.point_height_m):
                points = np.round(np.asarray(run)).astype(np.int32).reshape(-1, 1, 2)
                cv2.polylines(canvas, [points], False, _TAIL, 2, cv2.LINE_AA)
            if len(tail):
                head = floor_to_runs(camera, np.vstack([tail[-1:], tail[-1:]]), self._session.point_height_m)
                if head:
                    u, v = head[0][0]
                    cv2.circle(canvas, (round(u), round(v)), 5, _TAIL, -1, cv2.LINE_AA)

    @staticmethod
    def _draw_detections(canvas: np.ndarray, view: LiveView) -> None:
        if view.boxes_px is not None:
            for x0, y0, x1, y1 in np.round(view.boxes_px).astype(int):
                cv2.rectangle(canvas, (x0, y0), (x1, y1), _DETECTION, 1, cv2.LINE_AA)
        for u, v in np.round(view.points_px).astype(int):
            cv2.drawMarker(canvas, (int(u), int(v)), _DETECTION, cv2.MARKER_CROSS, 12, 2, cv2.LINE_AA)
