"""One MQTT message → one typed, validated message for the store, or a dead letter with the reason.

Checks, in order: the topic has the shape `{prefix}/{site}/{device}/{kind}`,
the payload is UTF-8 JSON, it matches its kind's schema, and the site, device
and kind inside agree with the topic. Nothing here raises on bad input: a bad
message becomes a `DeadLetter` that says what was wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collector.schemas import PayloadSchemas, SchemaError

BUCKET_KINDS = frozenset({"counts", "occupancy", "dwell", "heatmap", "flows"})


@dataclass(frozen=True)
class BucketMessage:
    """A time-bucket report, stored once per (site, device, kind, bucket_start)."""

    site: str
    device: str
    kind: str
    bucket_start: int  # epoch seconds, UTC
    bucket_s: int
    observed_s: float
    seq: int
    clock_synced: bool
    document: dict[str, Any]
    text: str


@dataclass(frozen=True)
class StatusMessage:
    """A device's health: online/offline and its outbox backlog."""

    site: str
    device: str
    state: str
    sent_at: float | None  # epoch seconds
    agent_version: str | None
    pending: int | None
    evicted: int | None
    unsaved: int | None
    text: str


@dataclass(frozen=True)
class LayoutMessage:
    """A device's floor geometry (retained topic)."""

    site: str
    device: str
    sent_at: float | None
    text: str


@dataclass(frozen=True)
class DeadLetter:
    """A message that could not be stored, with the reason."""

    topic: str
    text: str
    error: str


Message = BucketMessage | StatusMessage | LayoutMessage | DeadLetter


def printable(text: str) -> str:
    """`text` with NUL written as `\\x00` (PostgreSQL text cannot hold NUL)."""
    return text.replace("\x00", "\\x00")


def printable_payload(payload: bytes) -> str:
    """A payload as text for the dead letters: bytes that are not UTF-8 as `\\xNN`, NUL as `\\x00`."""
    return printable(payload.decode("utf-8", errors="backslashreplace"))


def epoch_s(text: str) -> float:
    """Epoch seconds of an ISO 8601 time with a zone (as the payloads write it).

    Raises:
        ValueError: not ISO 8601, or no time zone.
    """
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(
            f"time {text!r} has no time zone; expected ISO 8601 UTC such as 2025-01-31T09:00:00Z"
        )
    return value.timestamp()


class MessageReader:
    """Turns (topic, payload bytes) into a `Message` for topics under `prefix`."""

    def __init__(self, schemas: PayloadSchemas, prefix: str = "footfall/v1") -> None:
        self._schemas = schemas
        self._prefix = prefix.strip("/").split("/")

    def read(self, topic: str, payload: bytes) -> Message:
        """The typed message, or a `DeadLetter` naming what was wrong."""
        text = payload.decode("utf-8", errors="replace")
        try:
            return self._read(topic, payload, text)
        except (ValueError, SchemaError) as error:
            return DeadLetter(topic=printable(topic), text=printable_payload(payload), error=str(error))

    def _read(self, topic: str, payload: bytes, text: str) -> Message:
        levels = topic.split("/")
        n = len(self._prefix)
        if levels[:n] != self._prefix or len(levels) != n + 3:
            raise ValueError(f"topic {topic!r} is not {'/'.join(self._prefix)}/<site>/<device>/<kind>")
        site, device, kind = levels[n:]
        try:
            document = json.loads(payload.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise ValueError(f"payload is not UTF-8 (byte {error.start})") from error
        except json.JSONDecodeError as error:
            raise ValueError(
                f"payload is not JSON: {error.msg} at line {error.lineno} column {error.colno}"
            ) from error
        self._schemas.validate(kind, document)
        for key, expected in (("site", site), ("device", device), ("kind", kind)):
            if document.get(key, expected) != expected:
                raise ValueError(f"payload {key} is {document.get(key)!r} but the topic says {expected!r}")
        if kind in BUCKET_KINDS:
            return _bucket(site, device, kind, document, text)
        if kind == "status":
            return _status(site, device, document, text)
        if kind == "layout":
            sent = document.get("sent_at")
            return LayoutMessage(site, device, epoch_s(sent) if sent else None, text)
        raise ValueError(f"kind {kind!r} has a schema but the collector does not store it")


def _bucket(site: str, device: str, kind: str, document: dict[str, Any], text: str) -> BucketMessage:
    start = epoch_s(document["bucket_start"])
    if start != int(start):
        raise ValueError(f"bucket_start {document['bucket_start']!r} is not whole seconds")
    return BucketMessage(
        site=site,
        device=device,
        kind=kind,
        bucket_start=int(start),
        bucket_s=int(document["bucket_s"]),
        observed_s=float(document["observed_s"]),
        seq=int(document["seq"]),
        clock_synced=bool(document["clock_synced"]),
        document=document,
        text=text,
    )


def _status(site: str, device: str, document: dict[str, Any], text: str) -> StatusMessage:
    outbox = document.get("outbox") or {}
    sent = document.get("sent_at")
    return StatusMessage(
        site=site,
        device=device,
        state=str(document["state"]),
        sent_at=epoch_s(sent) if sent else None,
        agent_version=document.get("agent_version"),
        pending=outbox.get("pending"),
        evicted=outbox.get("evicted"),
        unsaved=outbox.get("unsaved"),
        text=text,
    )
