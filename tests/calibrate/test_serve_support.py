"""A device folder for `footfall calibrate serve` tests, and the server started as the real CLI.

No tests here: shared by the other tests/calibrate/test_serve_*.py modules.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from agent.geometry.calibration_file import save_calibration
from agent.geometry.camera import CameraModel
from agent.geometry.pose import Pose
from agent.sim.scenarios import get_scenario

FOOTFALL = str(Path(sys.executable).parent / "footfall")
SIZE = (640, 480)
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")


@dataclass(frozen=True)
class Site:
    """The folders an installed device has, each in tmp_path: config, state, temp and working directory."""

    config: Path
    state: Path
    temp: Path
    work: Path

    @property
    def config_file(self) -> Path:
        return self.config / "entrance.toml"

    @property
    def calibration_file(self) -> Path:
        return self.config / "entrance.calibration.json"

    def folders(self) -> list[Path]:
        return [self.config, self.state, self.temp, self.work]


def true_camera() -> CameraModel:
    """The simulated entrance camera as it really hangs (what clicks are computed from)."""
    return get_scenario("entrance").camera.model(*SIZE)


def make_site(root: Path, mqtt_port: int = 1883) -> Site:
    """A device folder for the simulated entrance: a config without lines or zones, and a wrong calibration.

    The calibration has the right lens but a pose off by 40 cm in height,
    30 cm sideways and 4 degrees of tilt, as a hurried 'calibrate quick' would.
    """
    site = Site(root / "etc", root / "state", root / "tmp", root / "work")
    for folder in site.folders():
        folder.mkdir(parents=True)
    truth = true_camera()
    wrong = CameraModel(truth.lens, Pose.looking_down((0.3, 0.2, 2.8), tilt_deg=4.0, heading_deg=90.0))
    save_calibration(wrong, site.calibration_file, created_by="test: a rough first guess")
    site.config_file.write_text(
        f"""# the entrance camera, before the installer drew anything
[device]
site = "test-shop"
id = "door-cam"

[source]
type = "sim"              # the simulated entrance stands in for the camera
scenario = "entrance"
seed = 1
fps = 15.0
size = "{SIZE[0]}x{SIZE[1]}"

[detector]
type = "background"
min_area_px = 600
warmup_frames = 15

[calibration]
type = "file"
path = "entrance.calibration.json"
point_height_m = 1.3      # blob centroid height

[tracker]
type = "nearest"
max_distance_m = 0.8

[aggregation]
bucket_s = 5

[mqtt]
host = "127.0.0.1"
port = {mqtt_port}

[outbox]
path = "{site.state / "outbox.db"}"
""",
        encoding="utf-8",
    )
    return site


class ServeProcess:
    """`footfall calibrate serve` as a subprocess, with TMPDIR and the working directory in the site."""

    def __init__(self, site: Site, idle_timeout_s: float = 120.0) -> None:
        env = {**os.environ, "TMPDIR": str(site.temp), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [FOOTFALL, "calibrate", "serve", "--config", str(site.config_file), "--port", "0",
             "--idle-timeout-s", f"{idle_timeout_s:g}"],
            cwd=site.work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.output: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self._wait_for_url(30.0)
        self.base, _, self.token = self.url.partition("/?token=")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self._lines.put(line)

    def _wait_for_url(self, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if "http://" in line and "?token=" in line:
                return line.strip()
        self.stop()
        raise AssertionError(f"calibrate serve printed no URL: {''.join(self.output)}")

    def wait_exit(self, timeout_s: float) -> int:
        """Wait for the process to end by itself; its exit code."""
        code = self.process.wait(timeout=timeout_s)
        time.sleep(0.1)  # the reader thread drains the last lines
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def image_files(folders: list[Path]) -> list[Path]:
    """Every file under ``folders`` whose first bytes are an image format's magic (any name)."""
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                with path.open("rb") as stream:
                    head = stream.read(16)
                if head.startswith(IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
                    found.append(path)
    return found


def carries_image(payload: bytes) -> bool:
    """Whether an MQTT payload holds image data: raw magic bytes anywhere, or base64 of JPEG/PNG."""
    raw = any(magic in payload for magic in IMAGE_MAGIC if magic != b"BM")
    return (
        raw or (b"RIFF" in payload and b"WEBP" in payload) or b"/9j/" in payload or b"iVBORw0KGgo" in payload
    )
