"""The calibration page's HTTP server: token check, a fixed route table, the MJPEG stream, idle stop.

Standard library ``ThreadingHTTPServer`` with routing written out by hand:
the page has a dozen fixed routes and no templates, so a web framework would
add a runtime dependency (and its updates) to every device for one table.
A thread per request lets the MJPEG stream run beside the JSON calls.

Bound to 127.0.0.1 unless the installer asks for the LAN. Every request
must carry the one-time token (``auth``); others get 403 and do not count as
activity. With no authenticated request for ``idle_timeout_s`` the server
stops itself and says so, closing the camera and dropping the last frame.
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any, TextIO
from urllib.parse import urlsplit

from agent.calibrate.serve.announce import PageAnnouncer
from agent.calibrate.serve.api import ApiError, CalibrationApi, Json
from agent.calibrate.serve.auth import SessionToken
from agent.calibrate.serve.live import LiveSession
from agent.calibrate.serve.preview import CONTENT_TYPE, PreviewEncoder
from agent.config import load_config

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Only these files are served, by name: no path from the request touches the file system.
STATIC_FILES = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
DEFAULT_PORT = 8088
DEFAULT_IDLE_TIMEOUT_S = 900.0
_MAX_BODY_BYTES = 64 * 1024
_SECURITY_HEADERS = {
    # The page, its stream and its JSON are live views: never cached by the browser or a proxy.
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; frame-ancestors 'none'",
}

Handler = Callable[[Json], Json]


class CalibrationServer(ThreadingHTTPServer):
    """Serves one page session; ``stopped`` is set when it stops, ``stop_reason`` says why."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        api: CalibrationApi,
        preview: PreviewEncoder,
        token: SessionToken,
        idle_timeout_s: float,
    ) -> None:
        if not idle_timeout_s > 0:
            raise ValueError(f"idle_timeout_s is {idle_timeout_s}, should be > 0 seconds")
        super().__init__(address, _RequestHandler)
        self.api = api
        self.preview = preview
        self.token = token
        self.idle_timeout_s = idle_timeout_s
        self.stopped = threading.Event()
        self.stop_reason = ""
        self._last_request_s = time.monotonic()
        self._activity_lock = threading.Lock()
        self.routes: dict[tuple[str, str], Handler] = {
            ("GET", "/api/state"): api.state,
            ("GET", "/api/live"): api.live,
            ("POST", "/api/floor-points"): api.floor_points,
            ("POST", "/api/calibrate"): api.calibrate,
            ("POST", "/api/layout"): api.layout,
            ("POST", "/api/save"): api.save,
            ("POST", "/api/tally"): api.tally_press,
            ("POST", "/api/tally/reset"): api.tally_reset,
            ("POST", "/api/validation"): api.validation,
        }

    @property
    def port(self) -> int:
        """The port listened on (useful with port 0)."""
        return int(self.server_address[1])

    def touch(self) -> None:
        """An authenticated request came: the idle clock restarts."""
        with self._activity_lock:
            self._last_request_s = time.monotonic()

    def idle_s(self) -> float:
        """Seconds since the last authenticated request."""
        with self._activity_lock:
            return time.monotonic() - self._last_request_s

    def request_stop(self, reason: str) -> None:
        """Stop serving (from any thread but the one running ``serve_forever``)."""
        if not self.stopped.is_set():
            self.stop_reason = reason
            self.stopped.set()
            self.shutdown()

    def watch_idle(self) -> None:
        """Stop the server after ``idle_timeout_s`` without an authenticated request (run on a thread)."""
        while not self.stopped.wait(0.2):
            if self.idle_s() >= self.idle_timeout_s:
                self.request_stop(f"no request for {self.idle_timeout_s:g} s")


class _RequestHandler(BaseHTTPRequestHandler):
    server: CalibrationServer
    server_version = "footfall-calibrate"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        # The default logs the request line to stderr, query (the token) included: log the path only.
        log.debug("%s %s", self.command, urlsplit(self.path).path)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        token = self.server.token
        if method == "GET" and url.path == "/" and token.from_query(url.query):
            self.server.touch()
            # First visit: hand the token over as a cookie, and drop it from the address bar.
            self._send(
                HTTPStatus.SEE_OTHER,
                b"",
                "text/plain",
                {"Location": "/", "Set-Cookie": token.set_cookie_header()},
            )
            return
        if not token.from_headers(self.headers):  # type: ignore[arg-type]
            self._send(
                HTTPStatus.FORBIDDEN,
                b"403: open the address printed by 'footfall calibrate serve'\n",
                "text/plain",
            )
            return
        self.server.touch()
        if method == "GET" and url.path in ("/", "/index.html"):
            self._send_file("index.html", "text/html; charset=utf-8")
        elif method == "GET" and url.path.startswith("/static/") and url.path[8:] in STATIC_FILES:
            self._send_file(url.path[8:], STATIC_FILES[url.path[8:]])
        elif method == "GET" and url.path == "/stream.mjpg":
            self._stream()
        elif (method, url.path) in self.server.routes:
            self._api(self.server.routes[(method, url.path)], method)
        elif method == "POST" and url.path == "/api/stop":
            self._json(HTTPStatus.OK, {"message": "calibration page stopped"})
            threading.Thread(target=self.server.request_stop, args=("stopped from the page",)).start()
        else:
            self._send(HTTPStatus.NOT_FOUND, b"404\n", "text/plain")

    def _api(self, handler: Handler, method: str) -> None:
        body: Json = {}
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY_BYTES:
                self._json(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"body of {length} bytes is too large"}
                )
                return
            try:
                decoded = json.loads(self.rfile.read(length) or b"{}")
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                self._json(HTTPStatus.BAD_REQUEST, {"error": f"body is not JSON: {error}"})
                return
            if not isinstance(decoded, dict):
                self._json(HTTPStatus.BAD_REQUEST, {"error": "body should be a JSON object"})
                return
            body = decoded
        try:
            self._json(HTTPStatus.OK, handler(body))
        except ApiError as error:
            self._json(HTTPStatus(error.status), {"error": error.message})

    def _stream(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", CONTENT_TYPE)
        for name, value in _SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Pragma", "no-cache")
        self.end_headers()
        try:
            for part in self.server.preview.parts(self.server.stopped):
                self.wfile.write(part)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the browser went away: nothing was kept

    def _send_file(self, name: str, content_type: str) -> None:
        self._send(HTTPStatus.OK, (STATIC_DIR / name).read_bytes(), content_type)

    def _json(self, status: HTTPStatus, payload: Json) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(
        self, status: HTTPStatus, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**_SECURITY_HEADERS, **(extra or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def page_urls(host: str, port: int, token: SessionToken) -> list[str]:
    """The addresses to print: localhost, or each LAN address of the device for ``0.0.0.0``."""
    if host != "0.0.0.0":
        return [f"http://{host}:{port}/?token={token.value}"]
    addresses: list[str] = []
    try:
        # A UDP "connect" only picks the outgoing interface: no packet is sent.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            addresses.append(probe.getsockname()[0])
    except OSError:
        pass
    addresses += [socket.gethostname()]
    return [f"http://{address}:{port}/?token={token.value}" for address in dict.fromkeys(addresses)]


def run_calibration_page(
    config_path: Path,
    *,
    lan: bool = False,
    port: int = DEFAULT_PORT,
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
    out: TextIO = sys.stdout,
) -> str:
    """Serve the calibration page until it is idle for ``idle_timeout_s``, stopped, or interrupted.

    Returns the reason it stopped.

    Raises:
        ConfigError: the config is invalid, or its source or calibration cannot be used by the page.
        CalibrationError: the calibration file cannot be read.
        SourceError: the camera or file cannot be opened.
        OSError: the port cannot be bound.
    """
    config = load_config(config_path)
    session = LiveSession(config, config_path)
    api = CalibrationApi(session, config, config_path)
    host = "0.0.0.0" if lan else "127.0.0.1"
    server = CalibrationServer((host, port), api, PreviewEncoder(session), SessionToken(), idle_timeout_s)
    session.start()
    announcer = PageAnnouncer(config, lan)
    announcer.open()
    previous = _stop_on_signals(server)
    watcher = threading.Thread(target=server.watch_idle, name="calibration-idle", daemon=True)
    try:
        scope = "on the LAN (anyone with the address can watch the camera)" if lan else "on this device only"
        print(f"calibration page for {config_path} {scope}; open:", file=out)
        for url in page_urls(host, server.port, server.token):
            print(f"  {url}", file=out)
        print(f"it stops after {idle_timeout_s:g} s without a request, or on Ctrl-C", file=out, flush=True)
        watcher.start()
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        server.stop_reason = server.stop_reason or "interrupted"
    finally:
        server.stopped.set()
        server.server_close()
        session.close()
        announcer.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    reason = server.stop_reason or "stopped"
    print(
        f"calibration page stopped: {reason}; the live view is closed and nothing was stored",
        file=out,
        flush=True,
    )
    return reason


def _stop_on_signals(server: CalibrationServer) -> dict[int, Any]:
    """SIGTERM (systemd, kill) stops the page as Ctrl-C does; returns the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def stop(signum: int, _frame: FrameType | None) -> None:
        reason = f"{signal.Signals(signum).name} received"
        threading.Thread(target=server.request_stop, args=(reason,), daemon=True).start()

    return {signal.SIGTERM: signal.signal(signal.SIGTERM, stop)}
