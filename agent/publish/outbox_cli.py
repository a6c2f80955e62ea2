"""`footfall outbox show | export`: look into a device's outbox without disturbing the agent.

The database is opened read-only (WAL lets a reader in while the agent
writes), so these commands never migrate, move or change the file.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from agent.config import add_overrides_argument
from agent.errors import FootfallError

EXIT_OK = 0


class OutboxReadError(FootfallError):
    """The outbox file cannot be read (names the file)."""


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise OutboxReadError(f"{path}: no outbox database here (check outbox.path in the config)")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
        connection.execute("SELECT count(*) FROM reports").fetchone()
    except sqlite3.Error as exc:
        raise OutboxReadError(f"{path}: cannot read as an outbox database: {exc}") from None
    return connection


def _outbox_path(args: argparse.Namespace) -> Path:
    if args.db is not None:
        return Path(args.db)
    from agent.config import load_config

    return load_config(args.config, args.overrides).outbox.path


def _counter(connection: sqlite3.Connection, name: str) -> int | None:
    row = connection.execute("SELECT value FROM counters WHERE name = ?", [name]).fetchone()
    return None if row is None else int(row[0])


def show(path: Path, out: TextIO) -> None:
    """Print depth, oldest pending report, evicted count, next seq and resets of the outbox at `path`.

    Raises:
        OutboxReadError: the file is missing or not an outbox.
    """
    connection = _connect(path)
    try:
        depth = connection.execute("SELECT count(*) FROM reports").fetchone()[0]
        oldest = connection.execute(
            "SELECT seq, kind, bucket_start, created_at FROM reports ORDER BY seq LIMIT 1"
        ).fetchone()
        print(f"outbox:   {path}", file=out)
        print(f"pending:  {depth} report(s)", file=out)
        if oldest is None:
            print("oldest:   -", file=out)
        else:
            created = datetime.fromtimestamp(oldest[3], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            print(
                f"oldest:   seq {oldest[0]}, {oldest[1]} for bucket {oldest[2]}, stored {created}", file=out
            )
        print(f"evicted:  {_counter(connection, 'evicted')} report(s) over the device's lifetime", file=out)
        print(f"next seq: {_counter(connection, 'next_seq')}", file=out)
        try:
            resets = connection.execute(
                "SELECT at, detail FROM events WHERE kind = 'outbox_reset' ORDER BY id"
            ).fetchall()
        except sqlite3.Error:
            resets = []  # a file from before the events table
        for at, detail in resets:
            info = json.loads(detail)
            print(f"reset:    {at}: damaged file kept as {info['moved_to']} ({info['reason']})", file=out)
    finally:
        connection.close()


def export(path: Path, out: TextIO) -> int:
    """Write every pending report, oldest first, as one JSON payload per line (exactly as sent).

    Returns the number of reports written.

    Raises:
        OutboxReadError: the file is missing or not an outbox.
    """
    connection = _connect(path)
    count = 0
    try:
        for (payload,) in connection.execute("SELECT payload FROM reports ORDER BY seq"):
            out.write(payload + "\n")
            count += 1
    finally:
        connection.close()
    return count


def _cmd_show(args: argparse.Namespace) -> int:
    show(_outbox_path(args), sys.stdout)
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    path = _outbox_path(args)
    if args.output is None:
        count = export(path, sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            count = export(path, out)
    print(f"footfall outbox: exported {count} pending report(s)", file=sys.stderr)
    return EXIT_OK


def _add_source(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--config", type=Path, metavar="FILE", help="device config (TOML); uses outbox.path")
    which.add_argument("--db", type=Path, metavar="FILE", help="the outbox database file itself")
    add_overrides_argument(parser)


def add_outbox_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `outbox` and its subcommands on a `footfall` subparsers object."""
    outbox = subparsers.add_parser(
        "outbox",
        help="inspect the outbox: pending reports, evicted count, export",
        description="Look into the SQLite outbox where reports wait for the broker's acknowledgement. "
        "Read-only: safe while the agent runs.",
    )
    commands = outbox.add_subparsers(
        dest="outbox_command", metavar="SUBCOMMAND", required=True, help="what to do with the outbox"
    )
    show_parser = commands.add_parser(
        "show",
        help="print depth, oldest report, evicted count and resets",
        description="Print how many reports are pending, the oldest one, how many were evicted to "
        "keep within budget, the next sequence number, and any corrupt-file resets.",
    )
    _add_source(show_parser)
    show_parser.set_defaults(func=_cmd_show)
    export_parser = commands.add_parser(
        "export",
        help="write pending reports as JSON lines",
        description="Write every pending report, oldest first, one JSON payload per line, byte-identical "
        "to what is published; a subscriber can import them idempotently on (device, kind, bucket_start).",
    )
    _add_source(export_parser)
    export_parser.add_argument(
        "--output", type=Path, metavar="FILE", help="write here instead of standard output"
    )
    export_parser.set_defaults(func=_cmd_export)
