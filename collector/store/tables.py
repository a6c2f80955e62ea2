"""The tables, one SQLAlchemy Core `MetaData` for SQLite and PostgreSQL alike.

Times are integer epoch seconds (UTC) so that the same arithmetic works in
both databases (an hour is `t - t % 3600`) and nothing depends on a driver's
time-zone handling. `reports` holds every accepted bucket report once, keyed
on (site, device, kind, bucket_start): the idempotence key. The fact tables
below it hold the report's contents in rows the dashboard can sum; they are
written in the same transaction as the `reports` row and only when that row
is new, so a re-sent report changes nothing.

The Alembic migrations in `collector/migrations` create exactly this schema
(a test compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

ID = String(64)


def _key() -> list[Column[object]]:
    return [
        Column("site", ID, primary_key=True),
        Column("device", ID, primary_key=True),
        Column("bucket_start", BigInteger, primary_key=True),
    ]


reports = Table(
    "reports",
    metadata,
    Column("site", ID, primary_key=True),
    Column("device", ID, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("bucket_start", BigInteger, primary_key=True),
    Column("bucket_s", Integer, nullable=False),
    Column("observed_s", Float, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("clock_synced", Boolean, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("resent", Integer, nullable=False, server_default="0"),
    Column("payload", Text, nullable=False),
)

counts = Table(
    "counts",
    metadata,
    *_key(),
    Column("line", ID, primary_key=True),
    Column("people_in", Integer, nullable=False),
    Column("people_out", Integer, nullable=False),
    Index("ix_counts_site_time", "site", "bucket_start"),
)

occupancy = Table(
    "occupancy",
    metadata,
    *_key(),
    Column("zone", ID, primary_key=True),
    Column("observed_s", Float, nullable=False),
    Column("mean_people", Float, nullable=False),
    Column("max_people", Integer, nullable=False),
    Index("ix_occupancy_site_time", "site", "bucket_start"),
)

dwell = Table(
    "dwell",
    metadata,
    *_key(),
    Column("zone", ID, primary_key=True),
    Column("min_s", Float, primary_key=True),
    Column("max_s", Float, nullable=True),
    Column("people", Integer, nullable=False),
    Index("ix_dwell_site_time", "site", "bucket_start"),
)

heatmap = Table(
    "heatmap",
    metadata,
    *_key(),
    Column("ix", Integer, primary_key=True),
    Column("iy", Integer, primary_key=True),
    Column("cell_m", Float, nullable=False),
    Column("origin_x_m", Float, nullable=False),
    Column("origin_y_m", Float, nullable=False),
    Column("people", Integer, nullable=False),
    Column("person_s", Float, nullable=False),
    Index("ix_heatmap_site_time", "site", "bucket_start"),
)

flows = Table(
    "flows",
    metadata,
    *_key(),
    Column("from_zone", ID, primary_key=True),
    Column("to_zone", ID, primary_key=True),
    Column("people", Integer, nullable=False),
    Index("ix_flows_site_time", "site", "bucket_start"),
)

devices = Table(
    "devices",
    metadata,
    Column("site", ID, primary_key=True),
    Column("device", ID, primary_key=True),
    Column("state", String(16), nullable=True),
    Column("status_sent_at", Float, nullable=True),
    Column("status_received_at", Float, nullable=True),
    Column("agent_version", String(64), nullable=True),
    Column("pending", Integer, nullable=True),
    Column("evicted", Integer, nullable=True),
    Column("unsaved", Integer, nullable=True),
    Column("last_report_at", Float, nullable=True),
    Column("last_bucket_start", BigInteger, nullable=True),
    Column("status_payload", Text, nullable=True),
)

layouts = Table(
    "layouts",
    metadata,
    Column("site", ID, primary_key=True),
    Column("device", ID, primary_key=True),
    Column("sent_at", Float, nullable=True),
    Column("received_at", Float, nullable=False),
    Column("payload", Text, nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("site", ID, primary_key=True),
    Column("timezone", String(64), nullable=False),
    Column("title", String(200), nullable=True),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", Float, nullable=False),
    Column("topic", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("error", Text, nullable=False),
)
