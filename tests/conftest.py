"""Shared fixtures: a private Mosquitto on a free port, clips rendered by the tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.broker import MosquittoBroker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A private Mosquitto on a free loopback port; stopped (and restartable) by the test."""
    instance = MosquittoBroker(tmp_path / "mosquitto")
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()
