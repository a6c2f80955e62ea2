"""Privacy audit, runtime part (issue 9, must show 3): a simulated store runs; nothing image-like escapes.

The real agent counts a rendered store for about 15 s against a private
broker, with its working directory, temp directory and home each a fresh
empty folder. Afterwards:
- no file was created or written anywhere watched except the outbox
  database and its WAL/SHM files;
- no MQTT payload (everything under `#`) and no log line holds image data:
  payloads are small UTF-8 JSON, and neither payloads, logs nor the outbox
  hold JPEG/PNG magic bytes or a long base64 run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.helpers.broker import MosquittoBroker

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "config" / "scenarios" / "entrance.toml"
OUTBOX_FILES = {"outbox.db", "outbox.db-wal", "outbox.db-shm"}
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_LOG_LINE_BYTES = 4096
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG"
# 200 base64 characters are 150 bytes: longer than any id or error text, far shorter than any image.
BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{200,}={0,2}")


class RawSubscriber:
    """Every message on the broker, as raw bytes (nothing decoded, so nothing can hide)."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self._client.on_connect = lambda client, *_: client.subscribe("#", qos=1)
        self._client.on_subscribe = lambda *_: subscribed.set()
        self._client.on_message = self._on_message
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()
        if not subscribed.wait(10):
            raise RuntimeError("could not subscribe to # on the test broker")

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


def _snapshot(*folders: Path) -> dict[Path, tuple[int, int]]:
    """Every file under `folders`: (size, modification time in ns)."""
    return {
        path: (path.stat().st_size, path.stat().st_mtime_ns)
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file()
    }


def _image_traces(data: bytes) -> list[str]:
    found = [name for name, magic in (("JPEG", JPEG_MAGIC), ("PNG", PNG_MAGIC)) if magic in data]
    run = BASE64_RUN.search(data)
    if run:
        found.append(f"base64 run of {len(run.group())} chars")
    return found


@pytest.mark.slow
def test_simulated_store_leaves_no_image_on_disk_wire_or_log(tmp_path: Path, broker: MosquittoBroker) -> None:
    work, temp, home, state = (tmp_path / name for name in ("work", "tmp", "home", "state"))
    for folder in (work, temp, home):
        folder.mkdir()
    watched = (work, temp, home, state, SCENARIO.parent)
    before = _snapshot(*[folder for folder in watched if folder.exists()])
    overrides = [
        f"outbox.path='{state / 'outbox.db'}'",
        f"mqtt.port={broker.port}",
        "mqtt.host='127.0.0.1'",
        "mqtt.status_interval_s=5",
        "aggregation.bucket_s=5",
        "heatmap.enabled=true",
        "privacy.min_people_k=1",  # heatmap cells are published, not withheld
    ]
    subscriber = RawSubscriber(broker)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "agent.cli",
                "run",
                "--config",
                str(SCENARIO),
                "--duration",
                "15",
                *(arg for key in overrides for arg in ("--set", key)),
            ],
            cwd=work,
            env={**os.environ, "TMPDIR": str(temp), "HOME": str(home)},
            capture_output=True,
            timeout=120,
        )
    finally:
        subscriber.close()
    assert result.returncode == 0, result.stderr.decode(errors="replace")

    # Disk: only the outbox was created or written.
    after = _snapshot(*watched)
    changed = sorted(str(p) for p, stamp in after.items() if before.get(p) != stamp)
    assert changed, "the outbox at least must have been written"
    assert all(Path(p).parent == state and Path(p).name in OUTBOX_FILES for p in changed), changed
    for path in state.iterdir():
        assert not _image_traces(path.read_bytes()), f"{path.name}: {_image_traces(path.read_bytes())}"

    # Wire: small UTF-8 JSON only.
    kinds: dict[str, int] = {}
    for topic, payload in subscriber.messages:
        assert len(payload) < MAX_PAYLOAD_BYTES, f"{topic}: {len(payload)} bytes"
        assert not _image_traces(payload), f"{topic}: {_image_traces(payload)}"
        document = json.loads(payload.decode("utf-8"))
        kinds[document["kind"]] = kinds.get(document["kind"], 0) + 1
    assert kinds.get("counts", 0) >= 2 and kinds.get("heatmap", 0) >= 2 and kinds.get("status", 0) >= 3, kinds
    statuses = [json.loads(p) for t, p in subscriber.messages if t.endswith("/status")]
    processed = max((s.get("frames") or {}).get("frames_processed", 0) for s in statuses)
    assert processed >= 100, f"the store was really watched: {processed} frames"

    # Logs: short lines, no image data.
    for stream in (result.stdout, result.stderr):
        for line in stream.splitlines():
            assert len(line) < MAX_LOG_LINE_BYTES, line[:200]
        assert not _image_traces(stream), _image_traces(stream)
    assert b"Traceback" not in result.stderr
    print(f"payloads {sum(kinds.values())} {kinds}, frames processed {processed}, files written {changed}")
