"""Alembic migrations of the collector database (script location `collector:migrations`)."""
