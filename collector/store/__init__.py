"""Storage of reports, device health, layouts and dead letters: SQLAlchemy Core on SQLite or PostgreSQL."""
