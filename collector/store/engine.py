"""Engines for SQLite and PostgreSQL, set up the same way for the collector's two uses.

A *writer* engine ingests reports; a *reader* engine serves the dashboard.
On SQLite the writer starts every transaction with `BEGIN IMMEDIATE`, so
two collector processes on one file queue for the write lock (up to
`busy_timeout`) instead of failing half-way; the file is in WAL mode so
readers never block the writers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """`postgresql://` → `postgresql+psycopg://` (the driver the collector ships with); others unchanged.

    Raises:
        ValueError: not a database URL, or neither SQLite nor PostgreSQL (names the URL's scheme).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ValueError(f"database URL {url!r} is not a URL such as sqlite:///collector.db") from error
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(
            f"database URL scheme {parsed.drivername!r} is not supported; use sqlite:///FILE or postgresql://…"
        )
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, writer: bool) -> Engine:
    """An engine for `url` (see `normalise_url`); `writer` selects the ingest setup."""
    url = normalise_url(url)
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        _setup_sqlite(engine, writer=writer)
    return engine


def _setup_sqlite(engine: Engine, *, writer: bool) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred and late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")
