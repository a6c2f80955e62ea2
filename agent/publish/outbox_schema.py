"""Schema of the outbox database: named migrations, applied once each, in order.

Each migration runs in one transaction together with the row that records
it in the `migrations` table, so a power cut leaves it either applied and
recorded or neither. Append new ones; never edit or reorder a released one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlite_utils


def _reports_and_counters(db: sqlite_utils.Database) -> None:
    db["reports"].create(  # type: ignore[union-attr]
        {"seq": int, "kind": str, "bucket_start": str, "topic": str, "payload": str, "created_at": float},
        pk="seq",
        not_null={"kind", "bucket_start", "topic", "payload", "created_at"},
    )
    db["counters"].create({"name": str, "value": int}, pk="name", not_null={"value"})  # type: ignore[union-attr]
    db["counters"].insert_all([{"name": "next_seq", "value": 0}, {"name": "evicted", "value": 0}])  # type: ignore[union-attr]


def _clock_budget_and_events(db: sqlite_utils.Database) -> None:
    """Columns for re-stamping and budgets, bucket-start floors, and the event log."""
    # bucket_epoch_s: the bucket start as Unix seconds (ordering, age budget, floors).
    # clock_synced / run_id / sent: which rows may still be re-stamped when NTP syncs.
    for statement in (
        "ALTER TABLE reports ADD COLUMN bucket_epoch_s INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE reports ADD COLUMN clock_synced INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE reports ADD COLUMN run_id TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE reports ADD COLUMN sent INTEGER NOT NULL DEFAULT 0",
        "UPDATE reports SET bucket_epoch_s = CAST(strftime('%s', bucket_start) AS INTEGER)",
    ):
        db.execute(statement)
    db["counters"].insert_all(  # type: ignore[union-attr]
        [
            {"name": "last_bucket_epoch_s", "value": -1},
            {"name": "last_synced_bucket_epoch_s", "value": -1},
        ],
        ignore=True,
    )
    db.execute(
        "UPDATE counters SET value = (SELECT coalesce(max(bucket_epoch_s), -1) FROM reports) "
        "WHERE name IN ('last_bucket_epoch_s', 'last_synced_bucket_epoch_s')"
    )
    db["events"].create(  # type: ignore[union-attr]
        {"id": int, "kind": str, "at": str, "detail": str},
        pk="id",
        not_null={"kind", "at", "detail"},
    )


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("0001_reports_and_counters", _reports_and_counters),
    ("0002_clock_budget_and_events", _clock_budget_and_events),
]

COUNTER_NAMES = ("next_seq", "evicted", "last_bucket_epoch_s", "last_synced_bucket_epoch_s")


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every migration not yet recorded in `migrations`.

    Raises:
        sqlite3.Error: a migration failed; it was rolled back with its record.
    """
    migrations = db["migrations"]
    if not migrations.exists():
        migrations.create({"name": str, "applied_at": float}, pk="name")  # type: ignore[union-attr]
    applied = {row["name"] for row in migrations.rows}
    for name, apply in MIGRATIONS:
        if name in applied:
            continue
        with db.atomic():
            apply(db)
            migrations.insert({"name": name, "applied_at": time.time()})  # type: ignore[union-attr]
