"""Fixtures of the collector tests: a private PostgreSQL (one per session, a database per test), SQLite files."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.collector.postgres import PrivatePostgres
from tests.helpers.broker import MosquittoBroker

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PrivatePostgres]:
    """One private cluster for the whole session (initdb takes seconds); stopped and removed at the end."""
    cluster = PrivatePostgres()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'collector.db'}"
    cluster: PrivatePostgres = request.getfixturevalue("postgres")
    return cluster.create_database(f"test_{next(_names)}")


# Mosquitto drops QoS 1 messages queued for a client past `max_queued_messages` (default 1000),
# silently. A collector that falls behind a burst (a device draining its outbox, or these tests
# publishing thousands of reports at once) needs a deep queue: see docs/deployment.md.
COLLECTOR_BROKER_CONFIG = "max_queued_messages 1000000\nmax_inflight_messages 1000\n"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A private Mosquitto configured as docs/deployment.md says for collectors."""
    instance = MosquittoBroker(tmp_path / "mosquitto", COLLECTOR_BROKER_CONFIG)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()
