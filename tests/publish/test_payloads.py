"""The wire contract: committed schemas equal the models, payloads reject what they must."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.publish.payloads import CountsReport, LineCount, StatusReport
from agent.publish.schemas import WIRE_MODELS, generate_schemas, render_schema

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.mark.parametrize("name", sorted(generate_schemas()))
def test_committed_schema_equals_model(name: str) -> None:
    committed = (SCHEMAS / name).read_text(encoding="utf-8")
    assert committed == render_schema(generate_schemas()[name]), "run `footfall schemas write schemas`"


def test_every_kind_has_a_schema_file() -> None:
    assert sorted(p.name for p in SCHEMAS.glob("*.schema.json")) == sorted(
        f"{k}.schema.json" for k in WIRE_MODELS
    )


def _counts(**changes: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "schema": 1,
        "kind": "counts",
        "site": "s1",
        "device": "d1",
        "bucket_start": "2026-11-30T09:00:00Z",
        "bucket_s": 60,
        "observed_s": 60.0,
        "seq": 4,
        "clock_synced": True,
        "lines": [{"line": "door", "in": 3, "out": 2}],
    }
    payload.update(changes)
    return payload


def test_counts_round_trip_is_byte_identical() -> None:
    text = json.dumps(_counts(), separators=(",", ":"))
    assert CountsReport.model_validate_json(text).to_json() == text


@pytest.mark.parametrize(
    "changes,fragment",
    [
        ({"track_id": 7}, "track_id"),
        ({"seq": -1}, "seq"),
        ({"bucket_start": "2026-11-30T09:00:00"}, "bucket_start"),
        ({"bucket_start": "2026-11-30T09:00:00.5Z"}, "whole seconds"),
        ({"schema": 2}, "schema"),
        ({"site": "a/b"}, "site"),
        ({"site": "#"}, "site"),
        ({"lines": [{"line": "door", "in": -1, "out": 0}]}, "in"),
        ({"lines": [{"line": "door", "in": 1, "out": 0, "ids": [1]}]}, "ids"),
    ],
)
def test_counts_rejects(changes: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CountsReport.model_validate(_counts(**changes))
    assert fragment in str(caught.value)


def test_bucket_start_is_serialised_as_utc_z() -> None:
    report = CountsReport(
        site="s",
        device="d",
        bucket_start=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        bucket_s=60,
        observed_s=1,
        seq=0,
        clock_synced=False,
        lines=[LineCount(line="a", people_in=0, people_out=0)],
    )
    assert '"bucket_start":"2026-01-02T03:04:05Z"' in report.to_json()


def test_status_offline_is_minimal_and_valid() -> None:
    text = StatusReport(site="s", device="d", state="offline").to_json()
    assert StatusReport.model_validate_json(text).state == "offline"
