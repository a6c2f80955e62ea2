"""The walking skeleton end to end: a rendered clip through `footfall run` to a real broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from agent.geometry.shapes import FloorLine
from agent.sim.walkers import ClipSpec, Walker, render_clip
from tests.helpers.broker import MosquittoBroker
from tests.helpers.subscriber import Subscriber

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
BUCKET_KINDS = ("counts", "occupancy", "dwell", "flows")
EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "example.toml"

# Magic bytes of image and video formats: none may appear in anything the agent writes.
IMAGE_SIGNATURES = [
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF8",
    b"BM",
    b"RIFF",
    b"\x00\x00\x00\x18ftyp",
    b"P6\n",
    b"P5\n",
    b"II*\x00",
    b"MM\x00*",
]


def _validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


# (x metres, direction, start time s): five people in, three out.
PLAN = [(1.0, "in", 0.5), (3.5, "out", 0.8), (2.0, "in", 3.5), (4.5, "in", 4.0), (1.5, "out", 7.0),
        (3.0, "in", 8.5), (4.2, "out", 11.0), (2.4, "in", 12.0)]  # fmt: skip


def _walker(x: float, direction: str, t0_s: float) -> Walker:
    y0, y1 = (0.2, 4.6) if direction == "in" else (4.6, 0.2)
    return Walker((x, y0), (x + 0.2, y1), t0_s, 1.3)


def _clip_spec() -> ClipSpec:
    """The PLAN, plus one person who walks past the line's end: drawn by this test."""
    line = FloorLine("door", (0.6, 2.4), (5.2, 2.4), "left")
    walkers = (*(_walker(*step) for step in PLAN), Walker((5.9, 4.6), (5.9, 0.2), 2.0, 1.2))
    return ClipSpec(320, 240, 0.02, 10.0, 17.0, line, walkers)


def _run_agent(
    clip: Path, state: Path, broker: MosquittoBroker, agent_tmp: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(agent_tmp)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "agent.cli",
            "run",
            "--config",
            str(EXAMPLE),
            "--set",
            f"source.path='{clip}'",
            "--set",
            "source.realtime=false",
            "--set",
            f"outbox.path='{state / 'outbox.db'}'",
            "--set",
            f"mqtt.port={broker.port}",
            "--set",
            "mqtt.host='127.0.0.1'",
            "--set",
            "aggregation.bucket_s=5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.slow
def test_clip_counts_arrive_at_broker_exactly_and_valid(tmp_path: Path, broker: MosquittoBroker) -> None:
    clip = tmp_path / "clip.avi"
    truth = render_clip(_clip_spec(), clip)
    assert (truth["in"], truth["out"]) == (5, 3)
    state, agent_tmp = tmp_path / "state", tmp_path / "agent-tmp"
    agent_tmp.mkdir()
    subscriber = Subscriber(broker.host, broker.port)
    try:
        result = _run_agent(clip, state, broker, agent_tmp)
        assert result.returncode == 0, result.stderr
        assert "0 still pending" in result.stderr, result.stderr
        stored = int(result.stderr.split(" reports stored")[0].rsplit(", ", 1)[-1])
        # The example config has one zone: each bucket makes counts, occupancy, dwell and flows.
        buckets = stored // len(BUCKET_KINDS)
        reports = {kind: subscriber.wait_for(kind, buckets) for kind in BUCKET_KINDS}
        statuses = subscriber.wait_for("status", 2)
        layouts = subscriber.wait_for("layout", 1)
    finally:
        subscriber.close()

    assert layouts and layouts[0]["lines"][0]["name"] == "door"
    _validator("layout").validate(layouts[0])
    counts = reports["counts"]
    assert stored == buckets * len(BUCKET_KINDS)
    assert sum(len(payloads) for payloads in reports.values()) == stored
    assert sum(c["lines"][0]["in"] for c in counts) == 5
    assert sum(c["lines"][0]["out"] for c in counts) == 3
    assert sorted(p["seq"] for payloads in reports.values() for p in payloads) == list(range(stored))
    starts = [c["bucket_start"] for c in counts]
    assert starts == sorted(set(starts)), "bucket starts must be unique and increasing"
    for kind, payloads in reports.items():
        assert [p["bucket_start"] for p in payloads] == starts, f"{kind}: one report per bucket"
        for payload in payloads:
            _validator(kind).validate(payload)
    for payload in statuses:
        _validator("status").validate(payload)
    assert [s["state"] for s in statuses][-1] == "offline"
    assert "online" in [s["state"] for s in statuses]

    # Must show 5: no image anywhere the agent writes.
    assert list(agent_tmp.iterdir()) == [], "the agent wrote to its temp directory"
    written = sorted(p.name for p in state.iterdir())
    assert set(written) <= {"outbox.db", "outbox.db-wal", "outbox.db-shm"}, written
    for path in state.iterdir():
        data = path.read_bytes()
        for signature in IMAGE_SIGNATURES[:3]:
            assert signature not in data, f"{path.name} holds {signature!r}"
    assert not any(signature in result.stderr.encode() for signature in IMAGE_SIGNATURES[:2])


@pytest.mark.slow
def test_reports_wait_in_outbox_while_broker_is_down_and_go_at_next_start(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    clip = tmp_path / "clip.avi"
    render_clip(_clip_spec(), clip)
    state, agent_tmp = tmp_path / "state", tmp_path / "agent-tmp"
    agent_tmp.mkdir()
    broker.stop()
    first = _run_agent(clip, state, broker, agent_tmp)
    assert first.returncode == 0, first.stderr
    pending = int(first.stderr.split(" still pending")[0].rsplit(", ", 1)[-1])
    assert pending >= 3, first.stderr
    broker.start()
    subscriber = Subscriber(broker.host, broker.port)
    try:
        second = _run_agent(clip, state, broker, agent_tmp)
        assert second.returncode == 0, second.stderr
        counts = subscriber.wait_for("counts", 2 * pending // len(BUCKET_KINDS))
        everything = [p for kind in BUCKET_KINDS for p in subscriber.of_kind(kind)]
    finally:
        subscriber.close()
    seqs = sorted(p["seq"] for p in everything)
    assert seqs == list(range(len(seqs))), "backlog first, no gaps"
    assert [c["seq"] for c in counts] == sorted(c["seq"] for c in counts), "in order"
    assert sum(c["lines"][0]["in"] for c in counts) == 10
