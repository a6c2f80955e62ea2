"""The SQLite outbox: every report is stored here before it is sent.

A row is deleted only when the broker acknowledges that row's publish
(DESIGN.md rule 3). The per-device sequence number lives in the same file
and is taken in the same transaction that stores the reports of a bucket,
so it survives restarts and never repeats. Schema changes are named
migrations recorded in the `migrations` table, applied once, in order.

One `Outbox` is shared by the pipeline thread (which adds) and the
publisher thread (which reads and deletes); a lock serialises them.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import sqlite_utils

from agent.errors import FootfallError
from agent.publish.payloads import BucketReport


class OutboxError(FootfallError):
    """The outbox file cannot be opened or written (names the file)."""


def _migration_reports(db: sqlite_utils.Database) -> None:
    db["reports"].create(  # type: ignore[union-attr]
        {"seq": int, "kind": str, "bucket_start": str, "topic": str, "payload": str, "created_at": float},
        pk="seq",
        not_null={"kind", "bucket_start", "topic", "payload", "created_at"},
    )
    db["counters"].create({"name": str, "value": int}, pk="name", not_null={"value"})  # type: ignore[union-attr]
    db["counters"].insert_all([{"name": "next_seq", "value": 0}, {"name": "evicted", "value": 0}])  # type: ignore[union-attr]


# Named, ordered, applied once each. Append; never edit or reorder a released one.
MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("0001_reports_and_counters", _migration_reports),
]


@dataclass(frozen=True)
class PendingReport:
    """A stored report waiting for the broker's acknowledgement."""

    seq: int
    kind: str
    topic: str
    payload: str


class Outbox:
    """Durable, ordered store of reports not yet acknowledged by the broker.

    `synchronous` is SQLite's: FULL (default) survives power loss with no
    acknowledged write lost; NORMAL in WAL mode can lose the last transactions
    committed before a power cut (not an application crash).

    Raises:
        OutboxError: the file cannot be opened or migrated.
    """

    def __init__(
        self, path: Path, *, topic_prefix: str, synchronous: Literal["FULL", "NORMAL"] = "FULL"
    ) -> None:
        self.path = path
        self._topic_prefix = topic_prefix
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                str(path), check_same_thread=False, isolation_level=None, timeout=10.0
            )
            self._db = sqlite_utils.Database(connection)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._migrate()
        except sqlite3.Error as exc:
            raise OutboxError(f"{path}: cannot open outbox database: {exc}") from None

    def _migrate(self) -> None:
        migrations = self._db["migrations"]
        if not migrations.exists():
            migrations.create({"name": str, "applied_at": float}, pk="name")  # type: ignore[union-attr]
        applied = {row["name"] for row in migrations.rows}
        for name, apply in MIGRATIONS:
            if name in applied:
                continue
            with self._db.atomic():
                apply(self._db)
                migrations.insert({"name": name, "applied_at": time.time()})  # type: ignore[union-attr]

    def topic(self, report: BucketReport) -> str:
        """`{prefix}/{site}/{device}/{kind}`."""
        return f"{self._topic_prefix}/{report.site}/{report.device}/{report.kind}"

    def add(self, reports: Sequence[BucketReport]) -> list[int]:
        """Store the reports of one bucket in one transaction, giving each the next `seq`.

        Returns the sequence numbers given.

        Raises:
            OutboxError: the write failed (disk full, I/O error); nothing was stored.
        """
        if not reports:
            return []
        with self._lock:
            try:
                with self._db.atomic():
                    next_seq = int(
                        self._db.execute("SELECT value FROM counters WHERE name='next_seq'").fetchone()[0]
                    )
                    rows = [
                        self._row(report.model_copy(update={"seq": next_seq + i}))
                        for i, report in enumerate(reports)
                    ]
                    self._db["reports"].insert_all(rows)  # type: ignore[union-attr]
                    self._db.execute(
                        "UPDATE counters SET value=? WHERE name='next_seq'", [next_seq + len(rows)]
                    )
            except sqlite3.Error as exc:
                raise OutboxError(f"{self.path}: cannot store {len(reports)} report(s): {exc}") from None
        return list(range(next_seq, next_seq + len(reports)))

    def _row(self, report: BucketReport) -> dict[str, object]:
        return {
            "seq": report.seq,
            "kind": report.kind,
            "bucket_start": report.bucket_start.isoformat(),
            "topic": self.topic(report),
            "payload": report.to_json(),
            "created_at": time.time(),
        }

    def pending_after(self, seq: int, limit: int) -> list[PendingReport]:
        """Up to `limit` stored reports with a sequence number above `seq`, oldest first.

        The sequence number is the row key: it is never reused, so "after" is well defined
        even when acknowledged rows have been deleted.
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, kind, topic, payload FROM reports WHERE seq > ? ORDER BY seq LIMIT ?",
                [seq, limit],
            ).fetchall()
        return [PendingReport(*row) for row in rows]

    def acknowledge(self, seq: int) -> None:
        """The broker acknowledged the report with sequence number `seq`: delete it."""
        with self._lock:
            self._db.execute("DELETE FROM reports WHERE seq = ?", [seq])

    def depth(self) -> int:
        """Number of reports not yet acknowledged."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM reports").fetchone()[0])

    def evicted(self) -> int:
        """Reports dropped to keep within budget over the device's lifetime."""
        with self._lock:
            return int(self._db.execute("SELECT value FROM counters WHERE name='evicted'").fetchone()[0])

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.conn.close()
