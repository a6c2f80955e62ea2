"""Alembic environment: always run on the connection `collector.store.migrate` hands over."""

from __future__ import annotations

from alembic import context

from collector.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `footfall-collector migrate`, which passes the connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
