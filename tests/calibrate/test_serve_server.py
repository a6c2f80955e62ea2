"""Must show 2: the calibration page refuses requests without the token, and stops itself when idle.

Both run the real `footfall calibrate serve` as a subprocess on the simulated
entrance; requests are plain HTTP from the standard library.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from test_serve_support import ServeProcess, image_files, make_site

from agent.publish.payloads import StatusReport
from tests.helpers.broker import MosquittoBroker
from tests.helpers.subscriber import Subscriber

pytestmark = pytest.mark.slow


def _status(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> int:
    request = urllib.request.Request(
        url, headers=headers or {}, method=method, data=b"{}" if method == "POST" else None
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *_args, **_kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=5) as response:
            if url.endswith(".mjpg"):
                response.read(64)  # the stream never ends: its first bytes are enough
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_every_request_without_the_token_is_refused(tmp_path: Path) -> None:
    server = ServeProcess(make_site(tmp_path), idle_timeout_s=60)
    try:
        base, token = server.base, server.token
        assert server.url.startswith("http://127.0.0.1:"), "bound to this device only without --lan"
        wrong = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
        refused = [
            (f"{base}/", {}, "GET"),
            (f"{base}/?token={wrong}", {}, "GET"),
            (f"{base}/stream.mjpg", {}, "GET"),
            (
                f"{base}/stream.mjpg?token={token}",
                {},
                "GET",
            ),  # the query token is taken on the first page only
            (f"{base}/static/app.js", {}, "GET"),
            (f"{base}/api/state", {"X-Footfall-Token": wrong}, "GET"),
            (f"{base}/api/live", {"Cookie": f"footfall_calibration={wrong}"}, "GET"),
            (f"{base}/api/save", {}, "POST"),
            (f"{base}/api/stop", {"Cookie": "footfall_calibration="}, "POST"),
        ]
        for url, headers, method in refused:
            assert _status(url, headers, method) == 403, (method, url, headers)
        assert _status(server.url) == 303, "the first visit hands the token over as a cookie"
        cookie = {"Cookie": f"footfall_calibration={token}"}
        for path in ("/", "/static/app.js", "/static/style.css", "/api/state", "/api/live", "/stream.mjpg"):
            assert _status(base + path, cookie) == 200, path
        assert _status(base + "/api/state", {"X-Footfall-Token": token}) == 200
        assert _status(base + "/static/../test_serve_support.py", cookie) == 404
        assert server.process.poll() is None, "refused requests do not stop the page"
    finally:
        server.stop()
    assert "calibration page stopped: SIGTERM received" in "".join(server.output)


def test_the_page_stops_itself_after_the_idle_time(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    server = ServeProcess(site, idle_timeout_s=2)
    try:
        started = time.monotonic()
        assert _status(server.base + "/api/state", {"X-Footfall-Token": server.token}) == 200
        # Requests without the token are not activity: a stranger cannot keep the camera on.
        while server.process.poll() is None and time.monotonic() - started < 10:
            try:
                assert _status(server.base + "/api/state") == 403
            except (urllib.error.URLError, ConnectionError):
                break  # it stopped between the check and the request, or while answering it
            time.sleep(0.3)
        assert server.wait_exit(5) == 0
        elapsed_s = time.monotonic() - started
    finally:
        server.stop()
    output = "".join(server.output)
    assert "calibration page stopped: no request for 2 s" in output, output
    assert 2.0 <= elapsed_s < 8.0
    assert image_files(site.folders()) == []


def test_the_status_topic_says_while_the_page_is_open(tmp_path: Path, broker: MosquittoBroker) -> None:
    subscriber = Subscriber(broker.host, broker.port)
    server = ServeProcess(make_site(tmp_path, mqtt_port=broker.port), idle_timeout_s=3)
    try:
        opened = subscriber.wait_for("status", 1, timeout_s=20)[0]
        assert server.wait_exit(15) == 0
        closed = subscriber.wait_for("status", 2, timeout_s=10)[-1]
    finally:
        server.stop()
        subscriber.close()
    for status in (opened, closed):
        StatusReport.model_validate(status)  # the wire contract
    assert opened["state"] == "online" and opened["calibration_page"]["open"] is True
    assert opened["calibration_page"]["lan"] is False
    assert closed["state"] == "offline" and closed["calibration_page"]["open"] is False
    assert closed["calibration_page"]["since"] == opened["calibration_page"]["since"]
    assert all(len(text) < 2048 for _topic, text, _retained in subscriber.messages), "status text only"
