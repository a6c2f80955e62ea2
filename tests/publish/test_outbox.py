"""The SQLite outbox on real files."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.publish.outbox import MIGRATIONS, Outbox, OutboxError
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


def test_unopenable_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(OutboxError, match="not-a-db.db"):
        Outbox(bad, topic_prefix="footfall/v1")
