"""The store on real SQLite files and a real PostgreSQL: migrations, idempotence, health, the Auckland import."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from agent.publish.payloads import StatusReport
from collector.akl_import import data_file, device_id, import_auckland
from collector.messages import MessageReader, StatusMessage
from collector.queries import View, totals
from collector.schemas import PayloadSchemas
from collector.store import tables as t
from collector.store.engine import make_engine
from collector.store.migrate import current_revision, head_revision, upgrade
from collector.store.writer import ReportWriter
from collector.synthetic import SimulatedStore
from tests.collector.processes import topic_of
from tests.collector.storage import dead_letters, resent_total, stored_totals

READER = MessageReader(PayloadSchemas.from_models())


def _migrated(url: str) -> ReportWriter:
    engine = make_engine(url, writer=True)
    upgrade(engine)
    return ReportWriter(engine)


def test_migrations_build_exactly_the_tables_the_code_uses(db_url: str) -> None:
    engine = make_engine(db_url, writer=True)
    upgrade(engine)
    upgrade(engine)  # a second run is a no-op
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), t.metadata) == []


def test_writing_twice_stores_once_and_counts_the_resend(db_url: str) -> None:
    writer = _migrated(db_url)
    store = SimulatedStore("s1", first_day=datetime(2025, 3, 3, tzinfo=UTC), days=1, bucket_s=3600)
    messages = [READER.read(topic_of(p), p.to_json().encode()) for p in [*store.layouts(), *store.reports()]]
    first = writer.write(messages)
    assert (first.stored, first.duplicates, first.dead) == (240, 0, 0)
    engine = make_engine(db_url, writer=False)
    before = stored_totals(engine)
    again = writer.write(messages)
    assert (again.stored, again.duplicates, again.dead) == (0, 240, 0)
    assert stored_totals(engine) == before
    assert resent_total(engine) == 240


def test_an_older_status_does_not_override_a_newer_one(db_url: str) -> None:
    writer = _migrated(db_url)

    def status(state: str, minute: int | None, pending: int) -> StatusMessage:
        sent = None if minute is None else datetime(2025, 3, 3, 10, minute, tzinfo=UTC)
        report = StatusReport(site="s", device="d", state=state, sent_at=sent)
        text = json.loads(report.to_json())
        text["outbox"] = {"pending": pending, "evicted": 0}
        message = READER.read("footfall/v1/s/d/status", json.dumps(text).encode())
        assert isinstance(message, StatusMessage)
        return message

    writer.write([status("online", 5, 7)])
    writer.write([status("online", 1, 99)])  # a late copy
    engine = make_engine(db_url, writer=False)
    query = select(t.devices.c.state, t.devices.c.pending)
    with engine.connect() as connection:
        assert connection.execute(query).one() == ("online", 7)
    writer.write([status("offline", None, 7)])  # the last will carries no time: it always applies
    with engine.connect() as connection:
        assert connection.execute(query).one() == ("offline", 7)


def test_a_message_the_database_refuses_alone_becomes_a_dead_letter(db_url: str) -> None:
    writer = _migrated(db_url)
    store = SimulatedStore("s1", first_day=datetime(2025, 3, 3, tzinfo=UTC), days=1, bucket_s=3600)
    reports = list(store.reports())[:4]
    # Valid by the schema, but 65 characters do not fit the 64 of agent_version in PostgreSQL;
    # SQLite stores any length, so there the message is simply stored.
    status = StatusReport(site="s1", device="door-cam", state="online", agent_version="v" * 65)
    messages = [READER.read(topic_of(p), p.to_json().encode()) for p in [reports[0], status, *reports[1:]]]
    try:
        result = writer.write(messages)
    except Exception:
        result = writer.write_each(messages)
        assert result.stored == 4 and result.dead == 1
        assert "the database refused it" in dead_letters(make_engine(db_url, writer=False))[0][1]
    else:
        assert db_url.startswith("sqlite") and result.stored == 4


def test_auckland_counts_import_once_with_their_totals(db_url: str, tmp_path: Path) -> None:
    # The first 200 rows of the real file (the whole file is for the benchmark).
    with data_file().open(encoding="utf-8") as source:
        head = [next(source) for _ in range(201)]
    sample = tmp_path / "hourly_counts.csv"
    sample.write_text("".join(head), encoding="utf-8")
    rows = list(csv.DictReader(head))
    expected = sum(
        round(float(v)) for row in rows for k, v in row.items() if k not in ("date", "hour", "year") and v
    )

    writer = make_engine(db_url, writer=True)
    upgrade(writer)
    summary = import_auckland(writer, path=sample, batch=700)
    assert summary.devices == 21 and summary.stored == summary.reports > 3000
    again = import_auckland(writer, path=sample, batch=700)
    assert again.stored == 0
    engine = make_engine(db_url, writer=False)
    assert stored_totals(engine)["counts"][1] == expected
    # 2019-01-01 is in NZ summer time; the dashboard's local day sums the CSV's rows of that date.
    view = View(site="auckland-cbd", timezone="Pacific/Auckland", day=datetime(2019, 1, 1).date())
    first_day = sum(
        round(float(v)) for row in rows if row["date"] == "2019-01-01"
        for k, v in row.items() if k not in ("date", "hour", "year") and v
    )  # fmt: skip
    assert totals(engine, view)[0] == first_day
    assert device_id("188 Quay Street Lower Albert (EW)") == "188-quay-street-lower-albert-ew"
