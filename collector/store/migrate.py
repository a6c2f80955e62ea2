"""Bring a database to the newest schema with Alembic, safely from several processes at once.

Several collector processes may start together against one database. On
PostgreSQL the upgrade runs under a transaction-level advisory lock; on
SQLite the writer engine's `BEGIN IMMEDIATE` holds the file's write lock. The
second process waits, then finds the schema already at head and does nothing.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

# Any constant works; it only has to be the same in every collector process.
_ADVISORY_LOCK_KEY = 0x666F6F74  # "foot"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "collector:migrations")
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError("collector/migrations has no revision")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply every missing migration (a no-op at head). `engine` must be a writer engine."""
    config = _config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def require_head(engine: Engine) -> None:
    """Raise unless the database is at the newest schema.

    Raises:
        RuntimeError: names the revision found and the one expected, and the command that fixes it.
    """
    found, wanted = current_revision(engine), head_revision()
    if found != wanted:
        raise RuntimeError(
            f"database {engine.url.render_as_string(hide_password=True)} is at schema revision {found!r}, "
            f"expected {wanted!r}: run `footfall-collector migrate --db URL` first"
        )
