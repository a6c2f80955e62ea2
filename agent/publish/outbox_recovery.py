"""What to do with a damaged outbox file: keep it aside for inspection, salvage its counters.

A corrupt database must not stop a device from counting (DESIGN.md rule 5),
and must not be deleted either: it is renamed with the time, together with
its WAL and shared-memory files, and a fresh database is started. Whatever
counters can still be read from the damaged file (next sequence number,
evicted count, last bucket starts) are carried over, so sequence numbers and
report keys stay unique.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from agent.publish.outbox_schema import COUNTER_NAMES

# SQLite primary result codes meaning "this file is damaged", not "cannot reach it".
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
# ... and meaning "the disk refused the write" (full, or an I/O error).
_SQLITE_IOERR = 10
_SQLITE_FULL = 13


def is_corruption(exc: sqlite3.Error) -> bool:
    """Whether `exc` says the database file is damaged (SQLITE_CORRUPT or SQLITE_NOTADB)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(exc)
    return "malformed" in text or "not a database" in text


def is_disk_refusal(exc: sqlite3.Error) -> bool:
    """Whether `exc` says the disk refused a write (SQLITE_FULL / ENOSPC, or SQLITE_IOERR)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_FULL, _SQLITE_IOERR)
    return "disk is full" in str(exc) or "disk I/O error" in str(exc)


def move_aside(path: Path, now: datetime) -> Path:
    """Rename `path` (and its -wal/-shm files) to `<name>.corrupt-<UTC time>`; return the new path.

    Raises:
        OSError: the file cannot be renamed (then it cannot be replaced either).
    """
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
        counter += 1
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    return target


def salvage_counters(path: Path) -> dict[str, int]:
    """The counters still readable from a damaged outbox at `path`; missing ones are left out.

    Never raises: a counter that cannot be read is simply not returned.
    """
    found: dict[str, int] = {}
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error:
        return found
    try:
        for name in COUNTER_NAMES:
            with contextlib.suppress(sqlite3.Error, TypeError):
                row = connection.execute("SELECT value FROM counters WHERE name = ?", [name]).fetchone()
                if row is not None:
                    found[name] = int(row[0])
        # Rows may be readable where the counters are not: never reuse a seq or a bucket start.
        with contextlib.suppress(sqlite3.Error, TypeError):
            top = connection.execute("SELECT max(seq) FROM reports").fetchone()[0]
            if top is not None:
                found["next_seq"] = max(found.get("next_seq", 0), int(top) + 1)
    finally:
        connection.close()
    return found
