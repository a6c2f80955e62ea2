"""Camera and file sources on real OpenCV: config errors, open errors, and reopening with back-off."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import pytest
from pydantic import ValidationError

from agent.errors import SourceError
from agent.sources import CameraSource, VideoFileSource
from agent.sources.camera import redact_url
from agent.sources.config import CameraSourceConfig
from agent.types import Frame
from tests.runtime.mjpeg_camera import MjpegCamera, jpeg_frames

CLIP = Path(__file__).resolve().parents[2] / "sim_videos" / "doorway.avi"


def _camera(**keys: object) -> CameraSourceConfig:
    return CameraSourceConfig.model_validate({"type": "camera", **keys})


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({}, "exactly one of device, url or pipeline; got none"),
        ({"device": 0, "url": "rtsp://cam/1"}, "got device and url"),
        ({"device": "video0"}, "path under /dev/"),
        ({"device": -1}, "should be >= 0"),
        ({"url": "cam.local/stream"}, "url should start with one of rtsp://"),
        ({"pipeline": "libcamerasrc ! videoconvert"}, "end in '! appsink'"),
        ({"device": 0, "fps": 0}, "greater than 0"),
        ({"device": 0, "colour": "rgb"}, "Extra inputs are not permitted"),
    ],
)
def test_camera_config_rejects_bad_input_by_name(keys: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _camera(**keys)


def test_stream_password_never_shown() -> None:
    assert redact_url("rtsp://admin:s3cret@192.0.2.10:554/s1") == "rtsp://admin:***@192.0.2.10:554/s1"
    assert redact_url("rtsp://192.0.2.10/s1") == "rtsp://192.0.2.10/s1"


def test_missing_device_at_start_names_it_and_what_was_expected() -> None:
    with pytest.raises(SourceError, match=r"camera /dev/video63: cannot open; expected a V4L2 camera"):
        CameraSource(_camera(device="/dev/video63"))


def test_unreachable_stream_error_hides_the_password() -> None:
    with pytest.raises(SourceError) as caught:
        CameraSource(_camera(url="http://viewer:hunter2@127.0.0.1:9/stream.mjpg", open_timeout_s=2))
    assert "viewer:***@127.0.0.1:9" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_pipeline_without_gstreamer_is_a_clear_error() -> None:
    config = _camera(pipeline="videotestsrc num-buffers=5 ! videoconvert ! appsink")
    if cv2.videoio_registry.hasBackend(cv2.CAP_GSTREAMER):
        frame = next(iter(CameraSource(config).frames()))
        assert frame.image.size
    else:
        with pytest.raises(SourceError, match="built without GStreamer"):
            CameraSource(config)


def _collect(frames: list[Frame], source: CameraSource | VideoFileSource) -> threading.Thread:
    thread = threading.Thread(target=lambda: frames.extend(source.frames()), daemon=True)
    thread.start()
    return thread


def _until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_network_camera_that_goes_away_is_reopened_and_frames_resume() -> None:
    camera = MjpegCamera(jpeg_frames(CLIP, limit=30), fps=20.0)
    source = CameraSource(_camera(url=camera.url, read_timeout_s=2.0))
    frames: list[Frame] = []
    thread = _collect(frames, source)
    try:
        _until(lambda: len(frames) >= 10)
        assert source.health.connected and source.health.reopens == 0
        camera.unplug()
        _until(lambda: not source.health.connected)
        time.sleep(1.5)  # a failed attempt or two with the listener gone
        assert "cannot open" in source.health.last_error, source.health.last_error
        assert camera.url.removesuffix("/stream.mjpg") in source.health.last_error
        seen = len(frames)
        camera.plug_in()
        _until(lambda: len(frames) >= seen + 10)
        assert source.health.connected and source.health.reopens == 1
        times = [f.meta.t_s for f in frames]
        assert times == sorted(times), "host time keeps growing across the reopen"
        assert [f.meta.index for f in frames] == list(range(len(frames)))
    finally:
        source.close()
        camera.close()
        thread.join(10)
    assert not thread.is_alive(), "close ends frames() even during back-off"


def test_looping_file_taken_away_waits_and_resumes(tmp_path: Path) -> None:
    clip = tmp_path / "clip.avi"
    shutil.copy(CLIP, clip)
    source = VideoFileSource(clip, realtime=False, loop=True)
    frames: list[Frame] = []
    thread = _collect(frames, source)
    try:
        _until(lambda: len(frames) >= 50)
        clip.rename(tmp_path / "away.avi")  # gone at the next end of the file
        _until(lambda: not source.health.connected)
        assert str(clip) in source.health.last_error
        seen = len(frames)
        time.sleep(1.0)
        assert len(frames) == seen, "no frames while the file is away"
        (tmp_path / "away.avi").rename(clip)
        _until(lambda: len(frames) >= seen + 300)
        assert source.health.connected and source.health.reopens == 1
    finally:
        source.close()
        thread.join(10)
    times = [f.meta.t_s for f in frames]
    assert times == sorted(times) and len(set(times)) == len(times), "media time grows across loops"


def test_file_read_as_fast_as_possible_gives_every_frame_once() -> None:
    source = VideoFileSource(CLIP, realtime=False)
    indexes = [frame.meta.index for frame in source.frames()]
    source.close()
    assert indexes == list(range(300))
    assert source.health.reopens == 0
