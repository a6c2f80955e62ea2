"""Must show 1 and 2: agents and simulated stores → private Mosquitto → two collectors → PostgreSQL / SQLite.

Two collector processes share one MQTT 5 subscription (`$share/…`); every
report published must be stored exactly once (no duplicate, none missing);
re-sending everything changes no total; malformed payloads become dead
letters while the collectors keep storing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.messages import BUCKET_KINDS, epoch_s
from collector.store.engine import make_engine
from collector.store.migrate import upgrade
from collector.synthetic import SimulatedStore
from tests.collector.processes import CollectorProcess, publish, publish_payloads, wait_until
from tests.collector.storage import dead_letters, report_count, resent_total, stored_keys, stored_totals
from tests.helpers.broker import MosquittoBroker
from tests.helpers.subscriber import Subscriber

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _agent(device: str, port: int, state: Path) -> subprocess.Popen[bytes]:
    """`footfall run` on the bundled doorway clip as device `device`, as fast as it can."""
    args = [sys.executable, "-m", "agent.cli", "run", "--config", str(ROOT / "config" / "example.toml")]
    for setting in (
        f"mqtt.port={port}", "mqtt.host='127.0.0.1'", "source.realtime=false",
        f"outbox.path='{state / device}.db'", "aggregation.bucket_s=5", f"device.id='{device}'",
    ):  # fmt: skip
        args += ["--set", setting]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _collectors(db_url: str, port: int, tmp_path: Path) -> list[CollectorProcess]:
    collectors = [CollectorProcess(db_url, port, f"c{n}", tmp_path / f"collector-{n}.log") for n in (1, 2)]
    for collector in collectors:
        collector.wait_ready()
    return collectors


def _key(payload: dict[str, object]) -> tuple[str, str, str, int]:
    start = payload["bucket_start"]
    assert isinstance(start, str)
    return (str(payload["site"]), str(payload["device"]), str(payload["kind"]), int(epoch_s(start)))


def test_agents_and_stores_through_two_shared_collectors_store_every_report_once(
    tmp_path: Path, broker: MosquittoBroker, db_url: str
) -> None:
    upgrade(make_engine(db_url, writer=True))
    engine = make_engine(db_url, writer=False)
    watcher = Subscriber(broker.host, broker.port)  # records what was really published
    collectors = _collectors(db_url, broker.port, tmp_path)
    try:
        state = tmp_path / "agents"
        state.mkdir()
        agents = [_agent(device, broker.port, state) for device in ("door-a", "door-b")]
        store = SimulatedStore("shop-e2e", first_day=datetime(2025, 3, 3, tzinfo=UTC), days=1, bucket_s=900)
        publish_payloads(broker.port, [*store.layouts(), *store.statuses(), *store.reports()])
        for agent in agents:
            _, err = agent.communicate(timeout=120)
            assert agent.returncode == 0, err.decode(errors="replace")
            assert b"0 still pending" in err, err.decode(errors="replace")
        published: dict[tuple[str, str, str, int], str] = {}
        wait_until(lambda: len(watcher.messages) >= 1, 10, "the watcher")
        for topic, text, _ in list(watcher.messages):
            if topic.rsplit("/", 1)[-1] in BUCKET_KINDS:
                published[_key(json.loads(text))] = text
        agent_counts = [k for k in published if k[1] in ("door-a", "door-b")]
        assert len(agent_counts) >= 10, "the agents should have published several counts reports each"
        assert len(published) == len(agent_counts) + 96 * 2 * 5
        wait_until(lambda: report_count(engine) >= len(published), 60, f"{len(published)} stored reports")
    finally:
        totals = [collector.stop() for collector in collectors]
        watcher.close()

    stored = stored_keys(engine)
    assert set(stored) == set(published), "stored keys differ from the published ones"
    assert all(json.loads(stored[k]) == json.loads(published[k]) for k in published)
    # Each report went to exactly one collector of the group, and both took a share.
    assert sum(t.stored for t in totals) == len(published)
    assert sum(t.duplicates for t in totals) == 0
    assert all(t.stored > 0 for t in totals), totals
    # The facts agree with the payloads: people in at the agents' door line.
    people_in = sum(
        line["in"] for k, text in published.items() if k[2] == "counts" for line in json.loads(text)["lines"]
    )
    assert stored_totals(engine)["counts"][1] == people_in
    assert dead_letters(engine) == []


def test_resending_everything_changes_no_total_and_bad_payloads_are_dead_letters(
    tmp_path: Path, broker: MosquittoBroker, db_url: str
) -> None:
    upgrade(make_engine(db_url, writer=True))
    engine = make_engine(db_url, writer=False)
    collectors = _collectors(db_url, broker.port, tmp_path)
    store = SimulatedStore("shop-resend", first_day=datetime(2025, 3, 3, tzinfo=UTC), days=1, bucket_s=1800)
    reports = list(store.reports())
    try:
        publish_payloads(broker.port, [*store.layouts(), *reports])
        wait_until(lambda: report_count(engine) == len(reports), 60, "first delivery")
        before = stored_totals(engine)

        publish_payloads(broker.port, reports)  # every report a second time
        bad = [
            ("footfall/v1/shop-resend/door-cam/counts", b"{not json", False),
            ("footfall/v1/shop-resend/door-cam/counts", b'{"schema": 1, "kind": "counts"}', False),
            ("footfall/v1/shop-resend/door-cam/dwell", reports[0].to_json().encode(), False),  # wrong kind
            ("footfall/v1/shop-resend/door-cam/counts", b"\xff\xfe\x00", False),
            ("footfall/v1/shop-resend/other-cam/counts", reports[0].to_json().encode(), False),
            ("footfall/v1/shop-resend/counts", reports[0].to_json().encode(), False),
        ]
        publish(broker.port, bad)
        wait_until(lambda: resent_total(engine) == len(reports), 60, "every re-sent report")
        wait_until(lambda: len(dead_letters(engine)) == len(bad), 30, "the dead letters")
        assert stored_totals(engine) == before

        # A conflicting report under a stored key: kept out, counted, the first one stays.
        changed = reports[0].model_copy(update={"seq": 999_999})
        late = SimulatedStore(
            "shop-resend", first_day=datetime(2025, 3, 5, tzinfo=UTC), days=1, bucket_s=3600
        )
        publish_payloads(broker.port, [changed, *list(late.reports())[:10]])
        wait_until(lambda: report_count(engine) == len(reports) + 10, 30, "reports after the bad ones")
        assert all(c.process.poll() is None for c in collectors), "a collector died"
    finally:
        totals = [collector.stop() for collector in collectors]
    letters = dead_letters(engine)
    assert len(letters) == len(bad) + 1
    errors = "\n".join(error for _, error in letters)
    for expected in (
        "not JSON", "is a required property", "not UTF-8", "'lines' was unexpected", "but the topic says",
        "is not footfall/v1/<site>/<device>/<kind>", "conflicting report",
    ):  # fmt: skip
        assert expected in errors, f"no dead letter says {expected!r}:\n{errors}"
    assert sum(t.dead for t in totals) == len(bad) + 1
    assert sum(t.duplicates for t in totals) == len(reports)
