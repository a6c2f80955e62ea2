"""The SQLite outbox: every report is stored here before it is sent.

A row is deleted only when the broker acknowledges that row's publish
(DESIGN.md rule 3). The per-device sequence number lives in the same file
and is taken in the same transaction that stores the reports of a bucket,
so it survives restarts and never repeats. Schema changes are named
migrations (`outbox_schema`), recorded in the `migrations` table.

Budgets: the file (with its WAL) stays under `max_bytes`, and reports with a
synchronised bucket start older than `max_age_s` go. Beyond either, the
oldest rows are deleted in the same transaction that made room, and the
persistent `evicted` counter grows by exactly as many: loss is counted,
never silent.

A corrupt file is moved aside (`outbox_recovery`) and a fresh one started;
the event is kept in the `events` table and shown in the device status.

One `Outbox` is shared by the pipeline thread (which adds) and the
publisher thread (which reads and deletes); a lock serialises them.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, TypeVar

import sqlite_utils

from agent.errors import FootfallError
from agent.publish.config import DEFAULT_MAX_AGE_S, DEFAULT_MAX_BYTES, MIN_MAX_BYTES
from agent.publish.outbox_recovery import is_corruption, move_aside, salvage_counters
from agent.publish.outbox_schema import MIGRATIONS, migrate
from agent.publish.payloads import REPORT_MODELS, BucketReport, OutboxReset

__all__ = ["MIGRATIONS", "Outbox", "OutboxError", "OutboxStats", "PendingReport"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_T = TypeVar("_T")
# Resets listed in the status payload (the events table keeps them all).
_RESETS_SHOWN = 5


class OutboxError(FootfallError):
    """The outbox file cannot be opened or written (names the file)."""


@dataclass(frozen=True)
class PendingReport:
    """A stored report waiting for the broker's acknowledgement."""

    seq: int
    kind: str
    topic: str
    payload: str


@dataclass(frozen=True)
class OutboxStats:
    """What `footfall outbox show` and the status payload say about the outbox."""

    depth: int
    evicted: int
    oldest_seq: int | None
    oldest_bucket_start: str | None
    oldest_created_at: float | None
    next_seq: int
    file_bytes: int
    resets: list[OutboxReset]


def _epoch_s(value: datetime) -> int:
    return int((value - _EPOCH).total_seconds())


class Outbox:
    """Durable, ordered store of reports not yet acknowledged by the broker.

    `synchronous` is SQLite's: FULL (default) survives power loss with no
    acknowledged write lost; NORMAL in WAL mode can lose the transactions
    committed since the last checkpoint on a power cut (not on a crash).
    `run_id` marks the rows this process stores, so that only they are
    re-stamped when the clock synchronises. `wall` stamps reset events.

    Raises:
        OutboxError: the file cannot be opened or migrated (missing permission,
            unwritable folder); a corrupt file is moved aside instead.
        ValueError: `max_bytes` below 256 KiB.
    """

    def __init__(
        self,
        path: Path,
        *,
        topic_prefix: str,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_age_s: int = DEFAULT_MAX_AGE_S,
        run_id: str = "",
        wall: Callable[[], datetime] | None = None,
    ) -> None:
        if max_bytes < MIN_MAX_BYTES:
            raise ValueError(f"max_bytes is {max_bytes}, should be >= {MIN_MAX_BYTES}")
        self.path = path
        self._topic_prefix = topic_prefix
        self._synchronous = synchronous
        self._max_bytes = max_bytes
        self._max_age_s = max_age_s
        self._run_id = run_id
        self._wall = wall or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._run_sent_max_epoch_s: int | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutboxError(f"{path.parent}: cannot create the outbox folder: {exc}") from None
        try:
            self._db = self._open()
        except sqlite3.Error as exc:
            if not is_corruption(exc):
                raise OutboxError(f"{path}: cannot open outbox database: {exc}") from None
            self._db = self._reset(exc)

    # -- opening, recovery ---------------------------------------------------------------

    def _open(self) -> sqlite_utils.Database:
        connection = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=10.0
        )
        try:
            db = sqlite_utils.Database(connection)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={self._synchronous}")
            page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
            # The WAL is part of the budget: checkpoint often enough, and truncate it after.
            wal_limit = min(4 * 1024 * 1024, self._max_bytes // 8)
            db.execute(f"PRAGMA wal_autocheckpoint={max(2, wal_limit // (page_size + 24) // 2)}")
            db.execute(f"PRAGMA journal_size_limit={wal_limit}")
            self._db_limit_bytes = self._max_bytes - wal_limit - 8 * page_size
            self._page_size = page_size
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed: quick_check says {check}")
            migrate(db)
        except BaseException:
            connection.close()
            raise
        return db

    def _reset(self, cause: sqlite3.Error) -> sqlite_utils.Database:
        """Move the damaged file aside, start a fresh one, carry over what counters survive."""
        now = self._wall()
        try:
            moved = move_aside(self.path, now)
        except OSError as exc:
            raise OutboxError(f"{self.path}: corrupt ({cause}) and cannot be moved aside: {exc}") from None
        salvaged = salvage_counters(moved)
        try:
            db = self._open()
            with db.atomic():
                for name, value in salvaged.items():
                    db.execute("UPDATE counters SET value = ? WHERE name = ?", [value, name])
                db["events"].insert(  # type: ignore[union-attr]
                    {
                        "kind": "outbox_reset",
                        "at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "detail": json.dumps({"moved_to": moved.name, "reason": str(cause)}),
                    }
                )
        except sqlite3.Error as exc:
            raise OutboxError(f"{self.path}: cannot start a fresh outbox: {exc}") from None
        return db

    def _locked(self, action: str, operation: Callable[[], _T]) -> _T:
        """Run `operation` under the lock; a corrupt file is reset once and the operation retried.

        Raises:
            OutboxError: the operation failed (disk full, I/O error), naming the file and `action`.
        """
        with self._lock:
            try:
                return operation()
            except sqlite3.Error as exc:
                if not is_corruption(exc):
                    raise OutboxError(f"{self.path}: cannot {action}: {exc}") from None
                self._db.conn.close()
                self._db = self._reset(exc)
            try:
                return operation()
            except sqlite3.Error as exc:
                raise OutboxError(f"{self.path}: cannot {action} after a reset: {exc}") from None

    # -- writing -------------------------------------------------------------------------

    def topic(self, report: BucketReport) -> str:
        """`{prefix}/{site}/{device}/{kind}`."""
        return f"{self._topic_prefix}/{report.site}/{report.device}/{report.kind}"

    def add(
        self, reports: Sequence[BucketReport], *, now_epoch_s: float | None = None, dropped: int = 0
    ) -> list[int]:
        """Store the reports of one bucket in one transaction, giving each the next `seq`.

        In the same transaction the budgets are enforced (the age budget only
        when `now_epoch_s`, the synchronised wall time in Unix seconds, is
        given) and `dropped` reports lost before they reached the file are
        added to the evicted counter. Returns the sequence numbers given.

        Raises:
            OutboxError: the write failed (disk full, I/O error); nothing was stored.
        """
        if not reports and not dropped:
            return []
        return self._locked(
            f"store {len(reports)} report(s)", lambda: self._add(reports, now_epoch_s, dropped)
        )

    def _add(self, reports: Sequence[BucketReport], now_epoch_s: float | None, dropped: int) -> list[int]:
        db = self._db
        with db.atomic():
            next_seq = self._counter("next_seq")
            rows = []
            for i, report in enumerate(reports):
                stamped = report.model_copy(update={"seq": next_seq + i})
                rows.append(
                    (
                        stamped.seq,
                        stamped.kind,
                        stamped.bucket_start.isoformat(),
                        self.topic(stamped),
                        stamped.to_json(),
                        time.time(),
                        _epoch_s(stamped.bucket_start),
                        int(stamped.clock_synced),
                        self._run_id,
                    )
                )
            db.conn.executemany(
                "INSERT INTO reports (seq, kind, bucket_start, topic, payload, created_at, "
                "bucket_epoch_s, clock_synced, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._set_counter("next_seq", next_seq + len(rows))
            if rows:
                self._raise_counter("last_bucket_epoch_s", max(row[6] for row in rows))
            synced = [row[6] for row in rows if row[7]]
            if synced:
                self._raise_counter("last_synced_bucket_epoch_s", max(synced))
            self._set_counter("evicted", self._counter("evicted") + dropped + self._evict(now_epoch_s))
        return [row[0] for row in rows]

    def _counter(self, name: str) -> int:
        return int(self._db.execute("SELECT value FROM counters WHERE name = ?", [name]).fetchone()[0])

    def _set_counter(self, name: str, value: int) -> None:
        self._db.execute("UPDATE counters SET value = ? WHERE name = ?", [value, name])

    def _raise_counter(self, name: str, value: int) -> None:
        self._db.execute("UPDATE counters SET value = max(value, ?) WHERE name = ?", [value, name])

    def _used_bytes(self) -> int:
        pages = int(self._db.execute("PRAGMA page_count").fetchone()[0])
        free = int(self._db.execute("PRAGMA freelist_count").fetchone()[0])
        return (pages - free) * self._page_size

    def _evict(self, now_epoch_s: float | None) -> int:
        """Delete the oldest rows beyond the budgets (inside the caller's transaction); return how many."""
        evicted = 0
        if now_epoch_s is not None:
            cursor = self._db.execute(
                "DELETE FROM reports WHERE clock_synced = 1 AND bucket_epoch_s < ?",
                [math.floor(now_epoch_s) - self._max_age_s],
            )
            evicted += max(0, cursor.rowcount)
        while (excess := self._used_bytes() - self._db_limit_bytes) > 0:
            row_bytes = self._db.execute(
                "SELECT avg(length(payload) + length(topic) + length(bucket_start)) + 48 FROM reports"
            ).fetchone()[0]
            if row_bytes is None:
                break
            # Pages are freed only when emptied, so delete at least a page's worth at a time.
            count = max(1, math.ceil(max(excess, self._page_size) / float(row_bytes)))
            cursor = self._db.execute(
                "DELETE FROM reports WHERE seq IN (SELECT seq FROM reports ORDER BY seq LIMIT ?)", [count]
            )
            if cursor.rowcount <= 0:
                break
            evicted += cursor.rowcount
        return evicted

    # -- sending -------------------------------------------------------------------------

    def pending_after(self, seq: int, limit: int) -> list[PendingReport]:
        """Up to `limit` stored reports with a sequence number above `seq`, oldest first.

        The sequence number is the row key: it is never reused, so "after" is well defined
        even when acknowledged rows have been deleted.

        Raises:
            OutboxError: the database cannot be read.
        """
        return [row for row, _, _ in self._rows_after(seq, limit)]

    def _rows_after(self, seq: int, limit: int) -> list[tuple[PendingReport, bool, tuple[str, int, int]]]:
        def read() -> list[tuple[PendingReport, bool, tuple[str, int, int]]]:
            rows = self._db.execute(
                "SELECT seq, kind, topic, payload, clock_synced, run_id, sent, bucket_epoch_s FROM reports "
                "WHERE seq > ? ORDER BY seq LIMIT ?",
                [seq, limit],
            ).fetchall()
            return [(PendingReport(*row[:4]), bool(row[4]), (row[5], row[6], row[7])) for row in rows]

        return self._locked("read pending reports", read)

    def take(self, after_seq: int, limit: int, *, hold_run_id: str | None = None) -> list[PendingReport]:
        """The next reports to publish, oldest first, marking re-stampable ones as sent first.

        A report stored while the clock was not synchronised is marked `sent`
        before it is handed out, so that it is never re-stamped afterwards: a
        re-sent report stays byte-identical to the first send. With
        `hold_run_id`, stops before the first unsynchronised report of that
        run (it waits for NTP to be re-stamped).

        Raises:
            OutboxError: the database cannot be read.
        """
        chosen: list[PendingReport] = []
        to_mark: list[tuple[int, int]] = []
        for row, synced, (run_id, sent, bucket_epoch_s) in self._rows_after(after_seq, limit):
            if not synced and hold_run_id is not None and run_id == hold_run_id:
                break
            if not synced and not sent:
                to_mark.append((row.seq, bucket_epoch_s))
            chosen.append(row)
        if to_mark:
            try:
                self._mark_sent(to_mark)
            except OutboxError:
                # Cannot record the send: hand out only what never needs re-stamping protection.
                first = to_mark[0][0]
                return [row for row in chosen if row.seq < first]
        return chosen

    def _mark_sent(self, marks: list[tuple[int, int]]) -> None:
        def mark() -> None:
            with self._db.atomic():
                self._db.conn.executemany(
                    "UPDATE reports SET sent = 1 WHERE seq = ?", [[seq] for seq, _ in marks]
                )
            top = max(epoch for _, epoch in marks)
            previous = self._run_sent_max_epoch_s
            self._run_sent_max_epoch_s = top if previous is None else max(previous, top)

        self._locked("mark reports as sent", mark)

    def acknowledge(self, seqs: int | Iterable[int]) -> None:
        """The broker acknowledged these reports: delete them, in one transaction.

        A report evicted by the budget while it was in flight, and then
        acknowledged, was not lost after all: it comes off the evicted count,
        so `evicted` stays the number of reports that never reached the broker.

        Raises:
            OutboxError: the delete failed (disk full): the rows stay and will be sent again.
        """
        chosen = [seqs] if isinstance(seqs, int) else list(seqs)
        if not chosen:
            return

        def delete() -> None:
            with self._db.atomic():
                cursor = self._db.conn.executemany(
                    "DELETE FROM reports WHERE seq = ?", [[seq] for seq in chosen]
                )
                delivered_after_eviction = len(set(chosen)) - max(0, cursor.rowcount)
                if delivered_after_eviction > 0:
                    evicted = self._counter("evicted")
                    self._set_counter("evicted", max(0, evicted - delivered_after_eviction))

        self._locked(f"delete {len(chosen)} acknowledged report(s)", delete)

    # -- clock ---------------------------------------------------------------------------

    def bucket_floors(self) -> tuple[int | None, int | None]:
        """(last bucket start ever stored, last synchronised one), Unix seconds, None if none.

        A new run never emits a bucket at or before these (see `BucketAggregator`), so the
        key (device, kind, bucket start) never repeats across restarts.

        Raises:
            OutboxError: the database cannot be read.
        """

        def read() -> tuple[int | None, int | None]:
            last = self._counter("last_bucket_epoch_s")
            synced = self._counter("last_synced_bucket_epoch_s")
            return (last if last >= 0 else None, synced if synced >= 0 else None)

        return self._locked("read the bucket floors", read)

    def restamp_bounds(self) -> tuple[int | None, int | None]:
        """(first re-stampable bucket start of this run, start every re-stamped one must exceed).

        The second is the later of the last synchronised bucket start ever stored and the last
        bucket start of this run already sent unsynchronised. Unix seconds, None if none.

        Raises:
            OutboxError: the database cannot be read.
        """

        def read() -> tuple[int | None, int | None]:
            first = self._db.execute(
                "SELECT min(bucket_epoch_s) FROM reports WHERE run_id = ? AND clock_synced = 0 AND sent = 0",
                [self._run_id],
            ).fetchone()[0]
            floors = [self._counter("last_synced_bucket_epoch_s"), self._run_sent_max_epoch_s]
            bound = max((f for f in floors if f is not None and f >= 0), default=None)
            return (None if first is None else int(first), bound)

        return self._locked("read the re-stamp bounds", read)

    def restamp(self, shift_s: int) -> int:
        """Move this run's unsynchronised, never-sent reports by `shift_s` seconds; mark them synced.

        Called once, when the clock synchronises. The payload is rewritten (bucket start and
        `clock_synced`), so the first send already carries the corrected time. Returns the
        number of rows re-stamped.

        Raises:
            OutboxError: the rewrite failed; nothing was changed.
        """

        def rewrite() -> int:
            with self._db.atomic():
                rows = self._db.execute(
                    "SELECT seq, kind, payload FROM reports WHERE run_id = ? AND clock_synced = 0 AND sent = 0",
                    [self._run_id],
                ).fetchall()
                updates = []
                for seq, kind, payload in rows:
                    report = REPORT_MODELS[kind].model_validate_json(payload)
                    assert isinstance(report, BucketReport)
                    start = report.bucket_start + timedelta(seconds=shift_s)
                    moved = report.model_copy(update={"bucket_start": start, "clock_synced": True})
                    updates.append((moved.to_json(), start.isoformat(), _epoch_s(start), seq))
                self._db.conn.executemany(
                    "UPDATE reports SET payload = ?, bucket_start = ?, bucket_epoch_s = ?, clock_synced = 1 "
                    "WHERE seq = ?",
                    updates,
                )
                if updates:
                    top = max(update[2] for update in updates)
                    self._raise_counter("last_bucket_epoch_s", top)
                    self._raise_counter("last_synced_bucket_epoch_s", top)
            return len(updates)

        return self._locked("re-stamp reports", rewrite)

    # -- reading -------------------------------------------------------------------------

    def depth(self) -> int:
        """Number of reports not yet acknowledged.

        Raises:
            OutboxError: the database cannot be read.
        """
        return self._locked(
            "count reports", lambda: int(self._db.execute("SELECT count(*) FROM reports").fetchone()[0])
        )

    def evicted(self) -> int:
        """Reports dropped to keep within budget over the device's lifetime.

        Raises:
            OutboxError: the database cannot be read.
        """
        return self._locked("read the evicted counter", lambda: self._counter("evicted"))

    def stats(self) -> OutboxStats:
        """Depth, oldest report, counters, file size and recent resets.

        Raises:
            OutboxError: the database cannot be read.
        """

        def read() -> OutboxStats:
            depth = int(self._db.execute("SELECT count(*) FROM reports").fetchone()[0])
            oldest = self._db.execute(
                "SELECT seq, bucket_start, created_at FROM reports ORDER BY seq LIMIT 1"
            ).fetchone()
            resets = []
            for at, detail in self._db.execute(
                "SELECT at, detail FROM events WHERE kind = 'outbox_reset' ORDER BY id DESC LIMIT ?",
                [_RESETS_SHOWN],
            ).fetchall():
                info = json.loads(detail)
                resets.append(OutboxReset.model_validate({"at": at, **info}))
            file_bytes = sum(
                p.stat().st_size
                for p in (self.path, self.path.with_name(self.path.name + "-wal"))
                if p.exists()
            )
            return OutboxStats(
                depth=depth,
                evicted=self._counter("evicted"),
                oldest_seq=None if oldest is None else int(oldest[0]),
                oldest_bucket_start=None if oldest is None else str(oldest[1]),
                oldest_created_at=None if oldest is None else float(oldest[2]),
                next_seq=self._counter("next_seq"),
                file_bytes=file_bytes,
                resets=resets,
            )

        return self._locked("read outbox statistics", read)

    def close(self) -> None:
        """Close the database file (checkpointing the WAL into it)."""
        with self._lock:
            self._db.conn.close()
