"""A real network camera for tests: Motion-JPEG over HTTP, as many IP cameras serve it.

It streams the frames of a video file (decoded once, JPEG-encoded in RAM)
as `multipart/x-mixed-replace`, which OpenCV's FFmpeg backend reads from
`http://127.0.0.1:PORT/stream.mjpg`. `unplug` closes the listening socket
and every open stream (the agent's reads fail and reconnects are refused);
`plug_in` listens again on the same port. With `fps=None` frames go as fast
as the socket takes them, a camera faster than any processing.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2


def jpeg_frames(video: Path, limit: int = 300) -> list[bytes]:
    """The first `limit` frames of `video`, JPEG-encoded (test-side only: the agent never encodes)."""
    capture = cv2.VideoCapture(str(video))
    frames: list[bytes] = []
    while len(frames) < limit:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(cv2.imencode(".jpg", image)[1].tobytes())
    capture.release()
    if not frames:
        raise RuntimeError(f"{video}: no frame decoded")
    return frames


class MjpegCamera:
    """An MJPEG-over-HTTP camera on 127.0.0.1 looping `frames` at `fps` (None = unpaced)."""

    def __init__(self, frames: list[bytes], fps: float | None = 15.0) -> None:
        self._frames = frames
        self._period_s = None if fps is None else 1.0 / fps
        self._generation = 0  # streams of an earlier plug-in end when it changes
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.served = 0  # frames sent, over every connection
        self.plug_in()

    @property
    def url(self) -> str:
        """What the agent's `source.url` is set to."""
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        camera = self

        class StreamHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                index, generation = 0, camera._generation
                try:
                    while camera._server is not None and camera._generation == generation:
                        jpeg = camera._frames[index % len(camera._frames)]
                        head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                        self.wfile.write(head.encode() + jpeg + b"\r\n")
                        index += 1
                        camera.served += 1
                        if camera._period_s is not None:
                            time.sleep(camera._period_s)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        return StreamHandler

    def plug_in(self) -> None:
        """Listen (again, on the same port) and stream to whoever connects."""
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def unplug(self) -> None:
        """Stop listening and end every stream: reads fail, reconnects are refused."""
        self._generation += 1
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        """Unplug for good."""
        self.unplug()
