"""The real agent with a real network camera and a real broker: reopen after loss, dropped frames, exact files."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest

from tests.helpers.broker import MosquittoBroker
from tests.helpers.ready import ReadyWaiter
from tests.helpers.subscriber import Subscriber
from tests.runtime.agent_runs import CLIP, ROOT, AgentProcess, run_to_final_status, wait_status, write_config
from tests.runtime.mjpeg_camera import MjpegCamera, jpeg_frames


def _status_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / "schemas" / "status.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _wait_served(camera: MjpegCamera, frames: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while camera.served < frames:
        assert time.monotonic() < deadline, f"the agent took only {camera.served} frames"
        time.sleep(0.05)


@pytest.mark.slow
def test_camera_that_stops_is_reopened_and_status_reports_it(tmp_path: Path, broker: MosquittoBroker) -> None:
    camera = MjpegCamera(jpeg_frames(CLIP), fps=15.0)
    config = write_config(tmp_path, f'type = "camera"\nurl = "{camera.url}"\nread_timeout_s = 2.0', broker)
    subscriber = Subscriber(broker.host, broker.port)
    ready = ReadyWaiter(tmp_path / "notify")
    agent = AgentProcess(config, 120, ready)
    try:
        ready.wait(60)
        _wait_served(camera, 30)
        camera.unplug()
        away = wait_status(subscriber, lambda s: s.get("camera") is not None and not s["camera"]["connected"])
        camera.plug_in()
        back = wait_status(
            subscriber,
            lambda s: (
                s.get("camera") is not None
                and s["camera"]["connected"]
                and s["frames"]["frames_processed"] > away["frames"]["frames_processed"] + 15
            ),
            timeout_s=60,
        )
        assert agent.stop() == 0, agent.log
        final = wait_status(subscriber, lambda s: s["state"] == "offline" and s.get("frames") is not None)
    finally:
        if agent.process.poll() is None:
            agent.process.kill()
        subscriber.close()
        ready.close()
        camera.close()
    print("away:", away["camera"], away["frames"], "back:", back["camera"], back["frames"], "final:", final)
    assert away["frames"]["frames_processed"] > 0, "counted before the camera went away"
    assert camera.url in away["camera"]["last_error"], away["camera"]
    assert back["camera"]["reopens"] == 1, back["camera"]
    assert final["camera"]["reopens"] == 1 and final["camera"]["connected"]
    assert final["frames"]["frames_processed"] >= back["frames"]["frames_processed"]
    for status in (away, back, final):
        _status_validator().validate(status)
    log = agent.log
    assert log.count("reopening with back-off") == 1, log
    assert log.count("reopened after") == 1, log
    assert "Traceback" not in log


@pytest.mark.slow
def test_processing_slower_than_the_camera_drops_frames_and_counts_them(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    camera = MjpegCamera(jpeg_frames(CLIP), fps=None)  # as fast as the agent reads: faster than it counts
    config = write_config(tmp_path, f'type = "camera"\nurl = "{camera.url}"', broker)
    try:
        code, final, log = run_to_final_status(config, 6, broker)
    finally:
        camera.close()
    assert code == 0, log
    frames = final["frames"]
    print("final frames:", frames)
    _status_validator().validate(final)
    assert frames["frames_dropped"] > 0, frames
    assert frames["frames_processed"] > 0, frames
    # Stopped, the counters are final: every frame was processed, dropped, or left in the slot (one).
    left = frames["frames_in"] - frames["frames_processed"] - frames["frames_dropped"]
    assert left in (0, 1), frames
    assert frames["detector_ms"] > 0 and frames["processing_ms"] >= frames["detector_ms"] * 0.5, frames


@pytest.mark.slow
def test_file_read_as_fast_as_possible_drops_no_frame(tmp_path: Path, broker: MosquittoBroker) -> None:
    config = write_config(tmp_path, f"type = \"file\"\npath = '{CLIP}'\nrealtime = false", broker)
    code, final, log = run_to_final_status(config, 120, broker, wait_s=120)
    assert code == 0, log
    assert final["frames"]["frames_in"] == final["frames"]["frames_processed"] == 300, final["frames"]
    assert final["frames"]["frames_dropped"] == 0
    assert "footfall: 300 frames" in log
