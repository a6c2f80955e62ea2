"""Must show 1, 3 and 4: the calibration page in headless Chromium, with the `sim` source as the camera.

An installer's session, end to end through the real CLI: `footfall calibrate
serve` runs as a subprocess (TMPDIR and working directory inside the test's
device folder) on a config whose pose is roughly wrong. Chromium, driven by
Playwright, taps five floor marks where the simulated camera really sees
them (first with one mistyped measurement, which the page must refuse and
show), solves the pose, draws the door line on the image and a zone on the
floor plan, saves, tallies a few people and saves a validation record, then
presses Done. Afterwards: `footfall config check` accepts the saved config,
the saved pose is the true one, the counting stages count people crossing
the drawn line on sim frames, no image file exists in any of the device's
folders, and no MQTT message carried image data. Screenshots at phone and
laptop sizes are kept under test-artifacts/calibrate/.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from playwright.sync_api import Browser, Page, expect
from test_serve_support import (
    FOOTFALL,
    ServeProcess,
    carries_image,
    image_files,
    make_site,
    true_camera,
)

from agent.config import load_config
from agent.geometry.calibration_file import load_calibration
from agent.runtime.counting import CameraCounting
from tests.helpers.broker import MosquittoBroker
from tests.helpers.browser import artifacts_folder, chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "calibrate"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# Tape-measured floor marks (metres) spread over the entrance camera's view.
MARKS_M = [(-2.0, -1.2), (2.0, -1.2), (2.2, 2.4), (-2.2, 2.4), (0.6, 0.9)]
DOOR_M = [(-1.2, 0.3), (1.2, 0.3)]
ZONE_M = [(-1.5, 0.3), (1.5, 0.3), (1.5, 2.2), (-1.5, 2.2)]
# One worker runs the module: one screenshot folder.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serve_page")]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium; the screenshots folder is emptied first."""
    artifacts_folder(ARTIFACTS.name)
    yield from chromium()


class RawSubscriber:
    """Every MQTT message on the broker, payloads kept as bytes (an image would not decode as text)."""

    def __init__(self, port: int) -> None:
        self.payloads: list[tuple[str, bytes]] = []
        self._subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self._client.on_connect = lambda c, _u, _f, _r, _p: c.subscribe("#", qos=1)
        self._client.on_subscribe = lambda *_args: self._subscribed.set()
        self._client.on_message = lambda _c, _u, m: self.payloads.append((m.topic, bytes(m.payload)))
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        assert self._subscribed.wait(10), "could not subscribe"

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


def _tap_image(page: Page, floor_m: tuple[float, float]) -> None:
    """Tap the live image where the simulated camera really sees the floor point ``floor_m``."""
    camera = true_camera()
    u, v = camera.floor_to_pixels(np.array([floor_m]))[0]
    box = page.locator("#overlay").bounding_box()
    assert box is not None
    page.locator("#overlay").click(
        # The pixel's centre: u counts from the top-left pixel's centre, the box from its corner.
        position={
            "x": (u + 0.5) * box["width"] / camera.width_px,
            "y": (v + 0.5) * box["height"] / camera.height_px,
        }
    )


def _tap_plan(page: Page, floor_m: tuple[float, float]) -> None:
    """Tap the floor plan at ``floor_m`` metres."""
    x, y = page.evaluate(
        """([x, y]) => {
            const svg = document.querySelector('#plan');
            const point = svg.createSVGPoint();
            point.x = x; point.y = -y;
            const screen = point.matrixTransform(svg.getScreenCTM());
            return [screen.x, screen.y];
        }""",
        list(floor_m),
    )
    page.mouse.click(x, y)


def _state(page: Page, base: str, token: str) -> dict:
    response = page.request.get(base + "/api/state", headers={"X-Footfall-Token": token})
    assert response.status == 200
    return dict(response.json())


def _calibrate_by_clicking(page: Page) -> None:
    for floor in MARKS_M:
        _tap_image(page, floor)
    for index, (x, y) in enumerate(MARKS_M):
        page.get_by_test_id(f"mark-x-{index}").fill(f"{x:g}")
        # Mark C's y mistyped by a metre: the page must refuse the pose and show which mark is off.
        page.get_by_test_id(f"mark-y-{index}").fill(f"{y + (1.0 if index == 2 else 0.0):g}")
    page.get_by_test_id("solve").click()
    expect(page.get_by_test_id("message")).to_contain_text("not used")
    expect(page.get_by_test_id("mark-error-2")).to_have_class("bad")
    expect(page.locator("#overlay path.grid-run.rejected")).to_have_count(1)
    page.get_by_test_id("mark-y-2").fill(f"{MARKS_M[2][1]:g}")
    page.get_by_test_id("solve").click()
    expect(page.get_by_test_id("message")).to_contain_text("pose solved")
    for index in range(len(MARKS_M)):
        error = page.get_by_test_id(f"mark-error-{index}")
        expect(error).to_have_class("good")
        assert float(error.inner_text().split()[0]) < 3.0, "a click lands within a pixel of the mark"
    expect(page.get_by_test_id("calibration-status")).to_contain_text("3.20 m high")
    expect(page.get_by_test_id("grid")).to_have_count(1)


def _draw_line_and_zone(page: Page) -> None:
    page.get_by_test_id("tool-line").click()
    page.get_by_test_id("line-name").fill("door")
    for floor in DOOR_M:
        _tap_image(page, floor)
    expect(page.get_by_test_id("lines")).to_contain_text("door")
    page.get_by_test_id("tool-zone").click()
    page.get_by_test_id("zone-name").fill("entrance")
    for floor in ZONE_M:
        _tap_plan(page, floor)
    page.get_by_test_id("close-zone").click()
    expect(page.get_by_test_id("zones")).to_contain_text("entrance")
    expect(page.locator("#plan [data-line=door]")).to_have_count(1)
    expect(page.locator("#plan [data-zone=entrance]")).to_have_count(1)


def _tally(page: Page, base: str, token: str) -> None:
    page.get_by_test_id("tool-tally").click()
    page.get_by_test_id("tally-reset").click()
    for button in ("tally-in", "tally-in", "tally-out"):
        page.get_by_test_id(button).click()
    expect(page.get_by_test_id("tally-in-count")).to_have_text("2")
    expect(page.get_by_test_id("tally-out-count")).to_have_text("1")
    # The device counts people crossing the new line live: wait for the first one.
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        live = page.request.get(base + "/api/live", headers={"X-Footfall-Token": token}).json()
        if sum(live["tally"]["device"].values()) >= 1:
            break
        time.sleep(0.5)
    assert sum(live["tally"]["device"].values()) >= 1, f"no crossing of the drawn line in 25 s: {live}"
    # People keep crossing: the page must show what the device counted as of one moment.
    shown: tuple[str, str, str] = ("", "", "")
    expected: tuple[str, str, str] = ("?", "?", "?")
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and shown != expected:
        device = page.request.get(base + "/api/live", headers={"X-Footfall-Token": token}).json()["tally"][
            "device"
        ]
        overall = max(0.0, 1 - (abs(device["in"] - 2) + abs(device["out"] - 1)) / 3)
        expected = (str(device["in"]), str(device["out"]), f"{overall * 100:.1f} %")
        time.sleep(1.0)  # longer than the page polls (0.7 s)
        shown = tuple(
            page.get_by_test_id(name).inner_text()
            for name in ("device-in-count", "device-out-count", "accuracy")
        )  # type: ignore[assignment]
    assert shown == expected, f"the page shows {shown}, the device counted {expected}"


def test_an_installer_session_calibrates_draws_saves_and_leaves_no_image(
    browser: Browser, tmp_path: Path, broker: MosquittoBroker
) -> None:
    site = make_site(tmp_path / "device", mqtt_port=broker.port)
    subscriber = RawSubscriber(broker.port)
    server = ServeProcess(site)
    try:
        laptop = browser.new_page(viewport=LAPTOP)
        response = laptop.goto(server.url)
        assert response is not None and response.status == 200
        assert "token=" not in laptop.url, "the token is moved into a cookie and out of the address bar"
        expect(laptop.get_by_test_id("calibration-status")).to_contain_text("calibrated")
        _calibrate_by_clicking(laptop)
        _draw_line_and_zone(laptop)
        laptop.get_by_test_id("save").click()
        expect(laptop.get_by_test_id("message")).to_contain_text("saved entrance.toml")
        state = _state(laptop, server.base, server.token)
        assert not state["unsaved"]
        laptop.get_by_test_id("tool-line").click()
        laptop.wait_for_timeout(600)  # a few stream frames with the line drawn
        laptop.screenshot(path=str(ARTIFACTS / "calibration-laptop.png"))
        _tally(laptop, server.base, server.token)
        laptop.get_by_test_id("save-validation").click()
        expect(laptop.get_by_test_id("message")).to_contain_text("validation saved")
        laptop.screenshot(path=str(ARTIFACTS / "calibration-laptop-tally.png"))

        phone = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        assert (response := phone.goto(server.url)) is not None and response.status == 200
        expect(phone.get_by_test_id("calibration-status")).to_contain_text("3.20 m high")
        phone.wait_for_timeout(600)
        phone.screenshot(path=str(ARTIFACTS / "calibration-phone.png"), full_page=True)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width} px wide)"
        phone.get_by_test_id("stop").click()
        assert server.wait_exit(15) == 0
        assert "stopped from the page" in "".join(server.output)
    finally:
        server.stop()
        subscriber.close()

    # The saved config is valid for the agent, with the line and zone in floor metres.
    check = subprocess.run(
        [FOOTFALL, "config", "check", str(site.config_file)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stderr
    assert "1 line(s), 1 zone(s)" in check.stdout
    config = load_config(site.config_file)
    (door,) = config.lines
    np.testing.assert_allclose([door.start, door.end], DOOR_M, atol=0.03)
    assert door.in_side == "left"
    np.testing.assert_allclose(config.zones[0].polygon, ZONE_M, atol=0.05)
    assert config.device.id == "door-cam" and config.mqtt.port == broker.port, "other sections untouched"
    assert "# the entrance camera, before the installer drew anything" in site.config_file.read_text()
    backups = sorted(site.config.glob("entrance.toml.bak-*"))
    assert len(backups) == 1 and "[[lines]]" not in backups[0].read_text()
    assert len(list(site.config.glob("entrance.calibration.json.bak-*"))) == 1

    # The pose solved from the clicks is the camera's true pose.
    saved = load_calibration(site.calibration_file)
    np.testing.assert_allclose(saved.pose.position, true_camera().pose.position, atol=0.03)
    assert saved.pose.tilt_deg < 0.5

    # The validation record holds counts only.
    (record_path,) = site.config.glob("entrance.validation-*.json")
    record = json.loads(record_path.read_text())
    assert set(record) == {
        "kind", "version", "device", "config", "saved_at", "line", "started_at", "duration_s", "tally",
        "device_counts", "accuracy",
    }  # fmt: skip
    assert record["tally"] == {"in": 2, "out": 1} and record["line"] == "door"
    assert record["device"] == "test-shop/door-cam" and sum(record["device_counts"].values()) >= 1

    # The agent's counting stages count people crossing the saved line on sim frames.
    config = load_config(site.config_file, ["source.realtime=false"])
    assert config.detector is not None and config.calibration is not None
    counting = CameraCounting(
        config.source, config.detector, config.calibration, config.tracker, config.lines
    )
    crossings = []
    try:
        for step, _ in zip(counting.steps(), range(225), strict=False):  # 15 s of the entrance
            crossings += step.crossings
    finally:
        counting.close()
    assert len(crossings) >= 2 and {c.line for c in crossings} == {"door"}

    # Nothing image-like was left in any of the device's folders or sent over MQTT.
    assert image_files(site.folders()) == []
    assert not [topic for topic, payload in subscriber.payloads if carries_image(payload)]
