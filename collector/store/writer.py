"""Writes a batch of messages in one transaction, idempotently.

A bucket report is inserted into `reports` with ON CONFLICT DO NOTHING on
(site, device, kind, bucket_start); only when that row is new are its facts
(counts, occupancy, dwell, heatmap cells, flows) inserted, in the same
transaction. A re-sent report with the same content only bumps `resent`; a
different report under an existing key goes to the dead letters (a device
bug, loud and counted) and the first one stays. The same statements run on
SQLite and PostgreSQL: both dialects have INSERT … ON CONFLICT.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from agent.publish.payloads import CountsReport
from collector.messages import BucketMessage, DeadLetter, LayoutMessage, Message, StatusMessage, printable
from collector.store import tables as t


@dataclass
class BatchResult:
    """What one batch did: reports newly stored, re-sent duplicates, status/layout updates, dead letters."""

    stored: int = 0
    duplicates: int = 0
    health: int = 0
    dead: int = 0
    dead_reasons: list[str] = field(default_factory=list)


def _insert(connection: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """INSERT with the dialect's ON CONFLICT clauses (the same API in both)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


FACT_TABLES = {
    "counts": t.counts,
    "occupancy": t.occupancy,
    "dwell": t.dwell,
    "heatmap": t.heatmap,
    "flows": t.flows,
}


def _facts(message: BucketMessage) -> tuple[Table, list[dict[str, Any]]]:
    key = {"site": message.site, "device": message.device, "bucket_start": message.bucket_start}
    doc = message.document
    if message.kind == "counts":
        rows = [
            {**key, "line": x["line"], "people_in": x["in"], "people_out": x["out"]} for x in doc["lines"]
        ]
        return t.counts, rows
    if message.kind == "occupancy":
        rows = [
            {**key, "zone": z["zone"], "observed_s": message.observed_s, "mean_people": z["mean_people"],
             "max_people": z["max_people"]}
            for z in doc["zones"]
            if z["mean_people"] is not None  # a presence sensor's zone (occupied seconds only): not charted yet
        ]  # fmt: skip
        return t.occupancy, rows
    if message.kind == "dwell":
        rows = [
            {**key, "zone": z["zone"], "min_s": b["min_s"], "max_s": b["max_s"], "people": b["people"]}
            for z in doc["zones"]
            for b in z["bins"]
        ]
        return t.dwell, rows
    if message.kind == "heatmap":
        ox, oy = doc["origin_m"]
        rows = [
            {**key, "ix": c["ix"], "iy": c["iy"], "cell_m": doc["cell_m"], "origin_x_m": ox, "origin_y_m": oy,
             "people": c["people"], "person_s": c["person_s"]}
            for c in doc["cells"]
        ]  # fmt: skip
        return t.heatmap, rows
    if message.kind == "flows":
        rows = [
            {**key, "from_zone": f["from_zone"], "to_zone": f["to_zone"], "people": f["people"]}
            for f in doc["flows"]
        ]
        return t.flows, rows
    raise ValueError(f"kind {message.kind!r} is not a bucket report kind")


class ReportWriter:
    """Stores batches of messages through one writer engine. `now` gives epoch seconds (for tests)."""

    def __init__(self, engine: Engine, now: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._now = now

    def write(self, messages: Sequence[Message]) -> BatchResult:
        """Store `messages` in one transaction; return what happened.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the database failed; nothing of the batch is stored.
        """
        result = BatchResult()
        received = self._now()
        last_report: dict[tuple[str, str], tuple[float, int]] = {}
        with self._engine.begin() as connection:
            new_keys = self._insert_reports(connection, messages, received)
            facts: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for message in messages:
                if isinstance(message, BucketMessage):
                    key = (message.site, message.device, message.kind, message.bucket_start)
                    if key in new_keys:
                        new_keys.discard(key)  # a second copy in the same batch is a duplicate
                        facts[message.kind] += _facts(message)[1]
                        result.stored += 1
                    else:
                        self._duplicate(connection, message, received, result)
                    previous = last_report.get((message.site, message.device), (received, 0))
                    last_report[(message.site, message.device)] = (
                        received,
                        max(previous[1], message.bucket_start),
                    )
                elif isinstance(message, StatusMessage):
                    self._status(connection, message, received)
                    result.health += 1
                elif isinstance(message, LayoutMessage):
                    self._layout(connection, message, received)
                    result.health += 1
                else:
                    self._dead(connection, message, received, result)
            for kind, rows in facts.items():
                if rows:
                    connection.execute(FACT_TABLES[kind].insert(), rows)
            _touch_devices(connection, last_report)
        return result

    def _insert_reports(
        self, connection: Connection, messages: Sequence[Message], received: float
    ) -> set[tuple[str, str, str, int]]:
        """Insert every bucket report of the batch in one statement; the keys that were new."""
        rows = [
            {
                "site": m.site, "device": m.device, "kind": m.kind, "bucket_start": m.bucket_start,
                "bucket_s": m.bucket_s, "observed_s": m.observed_s, "seq": m.seq, "clock_synced": m.clock_synced,
                "received_at": received, "payload": m.text,
            }
            for m in messages
            if isinstance(m, BucketMessage)
        ]  # fmt: skip
        if not rows:
            return set()
        c = t.reports.c
        statement = (
            _insert(connection, t.reports)
            .on_conflict_do_nothing()
            .returning(c.site, c.device, c.kind, c.bucket_start)
        )
        return {
            (site, device, kind, int(start))
            for site, device, kind, start in connection.execute(statement, rows)
        }

    def write_each(self, messages: Sequence[Message]) -> BatchResult:
        """Store `messages` one transaction each; a message the database refuses becomes a dead letter.

        For a batch that `write` could not store although the database is up:
        one bad message must not hold back the others.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the database refused even the dead letter.
        """
        total = BatchResult()
        for message in messages:
            try:
                _add(total, self.write([message]))
            except DBAPIError as error:
                if error.connection_invalidated:
                    raise
                topic = (
                    message.topic if isinstance(message, DeadLetter) else f"{message.site}/{message.device}"
                )
                reason = f"the database refused it: {str(error.orig).strip()}"
                letter = DeadLetter(topic=printable(topic), text=printable(message.text), error=reason)
                _add(total, self.write([letter]))
        return total

    def _duplicate(
        self, connection: Connection, message: BucketMessage, received: float, result: BatchResult
    ) -> None:
        """A report whose key is already stored: count it if identical, dead-letter it if not."""
        key = (
            (t.reports.c.site == message.site)
            & (t.reports.c.device == message.device)
            & (t.reports.c.kind == message.kind)
            & (t.reports.c.bucket_start == message.bucket_start)
        )
        stored = connection.execute(select(t.reports.c.payload).where(key)).scalar_one()
        if json.loads(stored) == message.document:
            connection.execute(t.reports.update().where(key).values(resent=t.reports.c.resent + 1))
            result.duplicates += 1
            return
        self._dead(
            connection,
            DeadLetter(
                topic=f"{message.site}/{message.device}/{message.kind}",
                text=message.text,
                error=(
                    f"conflicting report: {message.kind} of {message.site}/{message.device} for bucket_start "
                    f"{message.bucket_start} is already stored with different content (seq {message.seq}); "
                    "the first one is kept"
                ),
            ),
            received,
            result,
        )

    def _status(self, connection: Connection, message: StatusMessage, received: float) -> None:
        values = {
            "state": message.state, "status_sent_at": message.sent_at, "status_received_at": received,
            "agent_version": message.agent_version, "pending": message.pending, "evicted": message.evicted,
            "unsaved": message.unsaved, "status_payload": message.text,
        }  # fmt: skip
        statement = _insert(connection, t.devices).values(site=message.site, device=message.device, **values)
        update = statement.on_conflict_do_update(index_elements=["site", "device"], set_=values)
        if message.sent_at is not None:
            # A status older than the stored one (a retained copy arriving late) changes nothing.
            stored = t.devices.c.status_sent_at
            update = statement.on_conflict_do_update(
                index_elements=["site", "device"],
                set_=values,
                where=stored.is_(None) | (stored <= message.sent_at),
            )
        connection.execute(update)

    def _layout(self, connection: Connection, message: LayoutMessage, received: float) -> None:
        values = {"sent_at": message.sent_at, "received_at": received, "payload": message.text}
        statement = _insert(connection, t.layouts).values(site=message.site, device=message.device, **values)
        connection.execute(statement.on_conflict_do_update(index_elements=["site", "device"], set_=values))

    def _dead(self, connection: Connection, letter: DeadLetter, received: float, result: BatchResult) -> None:
        connection.execute(
            t.dead_letters.insert().values(
                received_at=received, topic=letter.topic, payload=letter.text, error=letter.error
            )
        )
        result.dead += 1
        result.dead_reasons.append(letter.error)


def _touch_devices(connection: Connection, last_report: dict[tuple[str, str], tuple[float, int]]) -> None:
    """Record, per device, when a report was last received and the newest bucket start seen."""
    for (site, device), (received, bucket_start) in sorted(last_report.items()):
        statement = _insert(connection, t.devices).values(
            site=site, device=device, last_report_at=received, last_bucket_start=bucket_start
        )
        stored = t.devices.c.last_bucket_start
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["site", "device"],
                set_={
                    "last_report_at": received,
                    "last_bucket_start": _greatest(stored, bucket_start),
                },
            )
        )


def _greatest(column: Any, value: int) -> Any:
    """SQL for max(column, value) treating NULL as smaller, in either dialect."""
    return case((column.is_(None), value), (column < value, value), else_=column)


def write_all(writer: ReportWriter, messages: Iterable[Message], batch: int = 500) -> BatchResult:
    """Write `messages` in batches of `batch`; the summed result (for importers and tests)."""
    total = BatchResult()
    chunk: list[Message] = []
    for message in messages:
        chunk.append(message)
        if len(chunk) >= batch:
            _add(total, writer.write(chunk))
            chunk = []
    if chunk:
        _add(total, writer.write(chunk))
    return total


def _add(total: BatchResult, part: BatchResult) -> None:
    total.stored += part.stored
    total.duplicates += part.duplicates
    total.health += part.health
    total.dead += part.dead
    total.dead_reasons += part.dead_reasons


def bulk_counts(engine: Engine, reports: Sequence[CountsReport]) -> int:
    """Store many `counts` reports at once (importers); returns how many were new.

    Idempotent like `ReportWriter.write`: rows whose key exists are left as
    they are. Unlike it, a conflicting re-import is not compared (the source
    is one file, imported whole). The device rows get the newest bucket.
    """
    if not reports:
        return 0
    received = time.time()
    report_rows, fact_rows = [], []
    newest: dict[tuple[str, str], int] = {}
    for report in reports:
        start = int(report.bucket_start.timestamp())
        report_rows.append(
            {"site": report.site, "device": report.device, "kind": "counts", "bucket_start": start,
             "bucket_s": report.bucket_s, "observed_s": report.observed_s, "seq": report.seq,
             "clock_synced": report.clock_synced, "received_at": received, "payload": report.to_json()}
        )  # fmt: skip
        fact_rows += [
            {"site": report.site, "device": report.device, "bucket_start": start, "line": line.line,
             "people_in": line.people_in, "people_out": line.people_out}
            for line in report.lines
        ]  # fmt: skip
        key = (report.site, report.device)
        newest[key] = max(newest.get(key, start), start)
    with engine.begin() as connection:
        statement = _insert(connection, t.reports).on_conflict_do_nothing().returning(t.reports.c.seq)
        stored = len(connection.execute(statement, report_rows).all())
        connection.execute(_insert(connection, t.counts).on_conflict_do_nothing(), fact_rows)
        _touch_devices(connection, {k: (received, v) for k, v in newest.items()})
    return stored
