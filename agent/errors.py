"""Exceptions the agent raises for bad input; the CLI turns them into messages."""

from __future__ import annotations

from pathlib import Path


class FootfallError(Exception):
    """Base of every error the agent raises on purpose."""


class ConfigError(FootfallError):
    """The config file is unreadable or invalid. `problems` holds one line per bad key."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(problems))


class SourceError(FootfallError):
    """A frame source cannot be opened or read (names the file or device)."""


class SecretError(FootfallError):
    """A secret (MQTT password, key passphrase) is missing or unreadable."""
