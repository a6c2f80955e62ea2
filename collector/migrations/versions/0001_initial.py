"""Initial schema: reports and their facts, devices, layouts, sites, dead letters.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(64)


def _key() -> list[sa.Column[object]]:
    return [
        sa.Column("site", ID, primary_key=True),
        sa.Column("device", ID, primary_key=True),
        sa.Column("bucket_start", sa.BigInteger, primary_key=True),
    ]


def upgrade() -> None:
    """Create every table and index."""
    op.create_table(
        "reports",
        sa.Column("site", ID, primary_key=True),
        sa.Column("device", ID, primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("bucket_start", sa.BigInteger, primary_key=True),
        sa.Column("bucket_s", sa.Integer, nullable=False),
        sa.Column("observed_s", sa.Float, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("clock_synced", sa.Boolean, nullable=False),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("resent", sa.Integer, nullable=False, server_default="0"),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "counts",
        *_key(),
        sa.Column("line", ID, primary_key=True),
        sa.Column("people_in", sa.Integer, nullable=False),
        sa.Column("people_out", sa.Integer, nullable=False),
    )
    op.create_table(
        "occupancy",
        *_key(),
        sa.Column("zone", ID, primary_key=True),
        sa.Column("observed_s", sa.Float, nullable=False),
        sa.Column("mean_people", sa.Float, nullable=False),
        sa.Column("max_people", sa.Integer, nullable=False),
    )
    op.create_table(
        "dwell",
        *_key(),
        sa.Column("zone", ID, primary_key=True),
        sa.Column("min_s", sa.Float, primary_key=True),
        sa.Column("max_s", sa.Float, nullable=True),
        sa.Column("people", sa.Integer, nullable=False),
    )
    op.create_table(
        "heatmap",
        *_key(),
        sa.Column("ix", sa.Integer, primary_key=True),
        sa.Column("iy", sa.Integer, primary_key=True),
        sa.Column("cell_m", sa.Float, nullable=False),
        sa.Column("origin_x_m", sa.Float, nullable=False),
        sa.Column("origin_y_m", sa.Float, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.Column("person_s", sa.Float, nullable=False),
    )
    op.create_table(
        "flows",
        *_key(),
        sa.Column("from_zone", ID, primary_key=True),
        sa.Column("to_zone", ID, primary_key=True),
        sa.Column("people", sa.Integer, nullable=False),
    )
    for table in ("counts", "occupancy", "dwell", "heatmap", "flows"):
        op.create_index(f"ix_{table}_site_time", table, ["site", "bucket_start"])
    op.create_table(
        "devices",
        sa.Column("site", ID, primary_key=True),
        sa.Column("device", ID, primary_key=True),
        sa.Column("state", sa.String(16), nullable=True),
        sa.Column("status_sent_at", sa.Float, nullable=True),
        sa.Column("status_received_at", sa.Float, nullable=True),
        sa.Column("agent_version", sa.String(64), nullable=True),
        sa.Column("pending", sa.Integer, nullable=True),
        sa.Column("evicted", sa.Integer, nullable=True),
        sa.Column("unsaved", sa.Integer, nullable=True),
        sa.Column("last_report_at", sa.Float, nullable=True),
        sa.Column("last_bucket_start", sa.BigInteger, nullable=True),
        sa.Column("status_payload", sa.Text, nullable=True),
    )
    op.create_table(
        "layouts",
        sa.Column("site", ID, primary_key=True),
        sa.Column("device", ID, primary_key=True),
        sa.Column("sent_at", sa.Float, nullable=True),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_table(
        "sites",
        sa.Column("site", ID, primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=True),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop every table."""
    for table in ("dead_letters", "sites", "layouts", "devices", "flows", "heatmap", "dwell", "occupancy"):
        op.drop_table(table)
    op.drop_table("counts")
    op.drop_table("reports")
