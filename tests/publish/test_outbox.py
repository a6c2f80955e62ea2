"""The SQLite outbox on real files."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.publish.outbox import MIGRATIONS, Outbox, OutboxError, PendingReport
from agent.publish.payloads import CountsReport, LineCount

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def report(minute: int, people_in: int = 1) -> CountsReport:
    return CountsReport(
        site="s1",
        device="d1",
        bucket_start=T0 + timedelta(minutes=minute),
        bucket_s=60,
        observed_s=60,
        seq=0,
        clock_synced=True,
        lines=[LineCount(line="door", people_in=people_in, people_out=0)],
    )


def test_seq_is_given_in_order_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    outbox = Outbox(path, topic_prefix="footfall/v1")
    assert outbox.add([report(0), report(1)]) == [0, 1]
    outbox.acknowledge(0)
    outbox.acknowledge(1)
    outbox.close()
    reopened = Outbox(path, topic_prefix="footfall/v1")
    assert reopened.add([report(2)]) == [2], "a sequence number is never reused, even after deletes"
    [pending] = reopened.pending_after(-1, 10)
    assert pending.seq == 2 and pending.topic == "footfall/v1/s1/d1/counts"
    assert '"seq":2' in pending.payload


def test_pending_is_oldest_first_and_bounded(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", topic_prefix="footfall/v1")
    outbox.add([report(m) for m in range(10)])
    first = outbox.pending_after(-1, 4)
    assert [p.seq for p in first] == [0, 1, 2, 3]
    assert [p.seq for p in outbox.pending_after(3, 4)] == [4, 5, 6, 7]
    outbox.acknowledge(5)
    assert outbox.depth() == 9
    assert [p.seq for p in outbox.pending_after(3, 100)] == [4, 6, 7, 8, 9]


def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    Outbox(path, topic_prefix="footfall/v1").close()
    Outbox(path, topic_prefix="footfall/v1").close()
    with sqlite3.connect(path) as db:
        names = [row[0] for row in db.execute("SELECT name FROM migrations")]
        assert names == [name for name, _ in MIGRATIONS]
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_failed_write_stores_nothing_and_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    outbox = Outbox(path, topic_prefix="footfall/v1")
    outbox.add([report(0)])
    # A second writer holding the write lock makes our transaction fail as a full disk would.
    blocker = sqlite3.connect(path, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    outbox._db.conn.execute("PRAGMA busy_timeout=0")
    with pytest.raises(OutboxError, match=str(path)):
        outbox.add([report(1), report(2)])
    blocker.rollback()
    blocker.close()
    assert outbox.depth() == 1
    assert outbox.add([report(1)]) == [1], "the failed transaction took no sequence numbers"


def test_corrupt_file_is_moved_aside_and_a_fresh_one_started(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    outbox = Outbox(path, topic_prefix="footfall/v1")
    outbox.add([report(m) for m in range(5)])
    outbox.close()
    data = bytearray(path.read_bytes())
    data[4096 : 4096 * 3] = b"\xde\xad" * 4096  # trample the first table pages
    path.write_bytes(bytes(data))
    wall = datetime(2026, 12, 1, 8, 30, 5, tzinfo=UTC)
    fresh = Outbox(path, topic_prefix="footfall/v1", wall=lambda: wall)
    [kept] = list(tmp_path.glob("o.db.corrupt-*Z"))
    assert kept.name == "o.db.corrupt-20261201T083005Z"
    assert kept.read_bytes() == bytes(data), "the damaged file is kept as it was, for inspection"
    stats = fresh.stats()
    assert stats.depth == 0
    [reset] = stats.resets
    assert reset.moved_to == kept.name and reset.at == wall
    assert fresh.add([report(9)]) == [5], "sequence numbers carry on from what could be salvaged"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_garbage_file_is_moved_aside(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    outbox = Outbox(bad, topic_prefix="footfall/v1")
    assert [r.reason for r in outbox.stats().resets] == ["file is not a database"]
    assert len(list(tmp_path.glob("not-a-db.db.corrupt-*Z"))) == 1
    assert outbox.add([report(0)]) == [0]


def test_unwritable_folder_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutboxError, match="file"):
        Outbox(blocker / "o.db", topic_prefix="footfall/v1")


def test_size_budget_keeps_the_file_under_it_and_counts_every_eviction(tmp_path: Path) -> None:
    budget = 256 * 1024
    path = tmp_path / "o.db"
    outbox = Outbox(path, topic_prefix="footfall/v1", max_bytes=budget, synchronous="NORMAL")
    produced = 0
    sizes = []
    while produced < 2 * 1400:  # about twice what fits
        outbox.add([report(produced)])
        produced += 1
        wal = path.with_name("o.db-wal")
        sizes.append(path.stat().st_size + (wal.stat().st_size if wal.exists() else 0))
    stats = outbox.stats()
    assert stats.evicted > 0
    assert stats.evicted + stats.depth == produced, "every report is either pending or counted as evicted"
    assert max(sizes) <= budget, f"file and WAL grew to {max(sizes)} bytes, budget {budget}"
    pending = outbox.pending_after(-1, produced)
    assert [p.seq for p in pending] == list(range(stats.evicted, produced)), "the oldest went first"


def test_a_report_evicted_in_flight_then_acknowledged_is_not_counted_as_lost(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", topic_prefix="footfall/v1", max_age_s=3600)
    outbox.add([report(0), report(30)])
    in_flight = outbox.take(-1, 2)  # both sent, neither acknowledged yet
    outbox.add([report(91)], now_epoch_s=(T0 + timedelta(minutes=95)).timestamp())
    assert outbox.evicted() == 2, "the age budget took both while they were in flight"
    outbox.acknowledge([in_flight[0].seq])  # the broker had the first one after all
    assert outbox.evicted() == 1
    outbox.acknowledge([2])  # a report still in the outbox: the count does not move
    assert outbox.evicted() == 1 and outbox.depth() == 0


def test_age_budget_evicts_old_synchronised_reports_only(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", topic_prefix="footfall/v1", max_age_s=3600)
    outbox.add([report(0), report(30)])
    outbox.add([report(200).model_copy(update={"clock_synced": False})])
    now = (T0 + timedelta(minutes=90)).timestamp()
    outbox.add([report(91)], now_epoch_s=now)
    assert [p.seq for p in outbox.pending_after(-1, 10)] == [1, 2, 3]
    assert outbox.evicted() == 1


def test_restamp_moves_only_unsent_unsynchronised_rows_of_this_run(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    Outbox(path, topic_prefix="footfall/v1", run_id="old").add(
        [report(0).model_copy(update={"clock_synced": False})]
    )
    outbox = Outbox(path, topic_prefix="footfall/v1", run_id="new")
    unsynced = [report(m).model_copy(update={"clock_synced": False}) for m in (10, 11, 12)]
    outbox.add(unsynced)
    assert [p.seq for p in outbox.take(-1, 10, hold_run_id="new")] == [0], "this run's rows are held"
    [sent] = outbox.take(0, 1)  # seq 1 goes out unsynchronised: it must never change now
    assert outbox.restamp_bounds() == (int((T0 + timedelta(minutes=11)).timestamp()), sent_epoch(sent))
    assert outbox.restamp(3600) == 2
    rows = {p.seq: p.payload for p in outbox.pending_after(-1, 10)}
    assert rows[1] == sent.payload, "a sent report is never re-stamped: a re-send is byte-identical"
    assert '"bucket_start":"2026-11-30T10:11:00Z"' in rows[2] and '"clock_synced":true' in rows[2]
    assert '"clock_synced":false' in rows[0], "another run's rows cannot be re-stamped"
    assert outbox.bucket_floors()[1] == int((T0 + timedelta(minutes=72)).timestamp())


def sent_epoch(row: PendingReport) -> int:
    start = json.loads(row.payload)["bucket_start"]
    return int(datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
