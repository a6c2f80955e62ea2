"""Doctor checks of the device's state: disk space for the outbox budget, and the outbox itself.

Both only look: the outbox is opened read-only (WAL lets a reader in while
the agent writes), and a missing outbox is not created, so the doctor never
changes what a running agent owns.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from agent.config import AgentConfig
from agent.doctor.result import CheckResult

_MIB = 1024 * 1024


def _existing_ancestor(path: Path) -> Path:
    """`path` or its nearest existing parent folder (where the outbox would be created)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def outbox_bytes(path: Path) -> int:
    """Bytes the outbox takes now: the database, its WAL and shared-memory files (0 if absent)."""
    total = 0
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.is_file():
            total += part.stat().st_size
    return total


def check_disk(config: AgentConfig) -> CheckResult:
    """The free space on the outbox's filesystem must hold the rest of `outbox.max_bytes`.

    The budget counts the outbox's own files, so what they already take is
    added to the free bytes before comparing.
    """
    name = "disk"
    path = config.outbox.path
    folder = _existing_ancestor(path.parent)
    usage = shutil.disk_usage(folder)
    used_by_outbox = outbox_bytes(path)
    room = usage.free + used_by_outbox
    budget = config.outbox.max_bytes
    figures = (
        f"{folder}: {usage.free / _MIB:,.0f} MiB free, outbox uses {used_by_outbox / _MIB:,.1f} MiB, "
        f"budget outbox.max_bytes {budget / _MIB:,.0f} MiB"
    )
    if budget > room:
        return CheckResult(
            name,
            "fail",
            figures + ": the budget does not fit, so the disk fills before the oldest reports are evicted",
            f"lower outbox.max_bytes to at most {int(room * 0.8)} (80 % of the room), "
            "or free space on that filesystem",
        )
    if budget > 0.9 * room:
        return CheckResult(
            name,
            "warn",
            figures + ": a full outbox would leave less than 10 % of the disk for the system and logs",
            f"lower outbox.max_bytes to about {int(room * 0.8)}",
        )
    return CheckResult(name, "ok", figures)


def check_outbox(config: AgentConfig) -> CheckResult:
    """Open the outbox database read-only and read its depth, or check that its folder is writable."""
    name = "outbox"
    path = config.outbox.path
    if not path.exists():
        folder = _existing_ancestor(path.parent)
        if os.access(folder, os.W_OK | os.X_OK):
            return CheckResult(name, "ok", f"{path}: not created yet; {folder} is writable (by this user)")
        return CheckResult(
            name,
            "fail",
            f"{path}: not created yet and {folder} is not writable",
            "set outbox.path under the agent's state directory (/var/lib/footfall/outbox.db under systemd)",
        )
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
        try:
            check = connection.execute("PRAGMA quick_check").fetchone()[0]
            depth = connection.execute("SELECT count(*) FROM reports").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        return CheckResult(
            name,
            "fail",
            f"{path}: cannot read as an outbox database: {exc}",
            "check outbox.path; if the file is damaged, stop the agent and move the file aside "
            "(the agent starts a fresh outbox)",
        )
    if check != "ok":
        return CheckResult(
            name,
            "fail",
            f"{path}: integrity check says {check}",
            "the agent moves a damaged outbox aside at start: restart it (`systemctl restart footfall`)",
        )
    return CheckResult(name, "ok", f"{path}: opens, {depth} report(s) waiting to be sent")
