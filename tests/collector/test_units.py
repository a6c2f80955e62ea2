"""Small parts of the collector on real objects: schemas, message reading, dwell percentiles, plan geometry."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from agent.publish.layout import LayoutPlacement, LayoutReport, LayoutZone
from agent.publish.payloads import OutboxHealth, StatusReport
from collector.dwell import DwellBinTotal, dwell_percentile
from collector.floorplan import to_store
from collector.messages import BucketMessage, DeadLetter, LayoutMessage, MessageReader, StatusMessage
from collector.schemas import PayloadSchemas, generated_schemas
from collector.store.engine import normalise_url
from collector.synthetic import SimulatedStore
from tests.collector.processes import topic_of

READER = MessageReader(PayloadSchemas.from_models())
STORE = SimulatedStore("s1", first_day=datetime(2025, 3, 3, tzinfo=UTC), days=1, bucket_s=3600)


def test_every_simulated_payload_is_read_as_its_kind() -> None:
    payloads = [*STORE.layouts(), *STORE.statuses(pending=4), *list(STORE.reports())[:10]]
    read = [READER.read(topic_of(p), p.to_json().encode()) for p in payloads]
    assert [type(m) for m in read[:4]] == [LayoutMessage, LayoutMessage, StatusMessage, StatusMessage]
    assert all(isinstance(m, BucketMessage) for m in read[4:])
    status = read[2]
    assert isinstance(status, StatusMessage) and status.pending == 4 and status.state == "online"


def test_status_is_read_leniently_but_its_known_fields_strictly() -> None:
    status = StatusReport(site="s1", device="d1", state="online", outbox=OutboxHealth(pending=2, evicted=5))
    newer = {**json.loads(status.to_json()), "battery_v": 4.9}
    newer["outbox"]["flash_wear"] = 0.1
    message = READER.read("footfall/v1/s1/d1/status", json.dumps(newer).encode())
    assert isinstance(message, StatusMessage) and message.evicted == 5
    newer["outbox"]["pending"] = -1
    letter = READER.read("footfall/v1/s1/d1/status", json.dumps(newer).encode())
    assert isinstance(letter, DeadLetter) and "outbox/pending" in letter.error


@pytest.mark.parametrize(
    ("topic", "payload", "expected"),
    [
        ("footfall/v1/s1/d1", b"{}", "is not footfall/v1/<site>/<device>/<kind>"),
        ("footfall/v1/s1/d1/weather", b"{}", "unknown kind 'weather'"),
        ("footfall/v1/s1/d1/counts", b"[1, 2", "not JSON"),
        ("footfall/v1/s1/d1/counts", b"\xc3\x28", "not UTF-8 (byte 0)"),
        (
            "footfall/v1/s1/d1/status",
            b'{"site": "s1", "device": "d1", "state": "sleeping"}',
            "'sleeping' is not one of",
        ),
        ("footfall/v1/s1/d1/status", b'{"site": "s2", "device": "d1", "state": "online"}', "site is 's2'"),
    ],
)
def test_bad_messages_become_dead_letters_naming_the_fault(topic: str, payload: bytes, expected: str) -> None:
    letter = READER.read(topic, payload)
    assert isinstance(letter, DeadLetter)
    assert expected in letter.error
    assert "\x00" not in letter.text


def test_layout_model_rejects_bad_geometry_by_name() -> None:
    with pytest.raises(ValidationError, match=r"zone names \['a'\] appear more than once"):
        LayoutReport(
            site="s", device="d", floor_polygon_m=[(0, 0), (1, 0), (1, 1)],
            zones=[LayoutZone(name="a", polygon_m=[(0, 0), (1, 0), (1, 1)])] * 2,
        )  # fmt: skip
    with pytest.raises(ValidationError, match="should be finite metres"):
        LayoutReport(site="s", device="d", floor_polygon_m=[(0, 0), (float("nan"), 0), (1, 1)])
    assert generated_schemas()["layout"]["properties"]["kind"]["const"] == "layout"


@pytest.mark.parametrize(
    ("bins", "fraction", "label"),
    [
        ([(0, 10, 10)], 0.5, "5 s"),
        ([(0, 10, 5), (10, 30, 5)], 0.5, "10 s"),
        ([(0, 10, 5), (10, 30, 5)], 0.9, "26 s"),
        ([(0, 10, 1), (600, None, 9)], 0.5, "≥ 600 s"),
        ([(30, 60, 0), (60, 120, 4)], 0.25, "75 s"),
    ],
)
def test_dwell_percentiles_from_bins(
    bins: list[tuple[float, float | None, int]], fraction: float, label: str
) -> None:
    estimate = dwell_percentile([DwellBinTotal(*b) for b in bins], fraction)
    assert estimate is not None and estimate.label() == label


def test_dwell_percentile_rejects_bad_input_and_is_none_without_people() -> None:
    assert dwell_percentile([DwellBinTotal(0, 10, 0)], 0.5) is None
    with pytest.raises(ValueError, match="fraction is 1.5"):
        dwell_percentile([], 1.5)


def test_placement_rotates_counter_clockwise_then_shifts() -> None:
    layout = LayoutReport(
        site="s", device="d", floor_polygon_m=[(0, 0), (1, 0), (1, 1)],
        placement=LayoutPlacement(offset_m=(10, 0), rotation_deg=90),
    )  # fmt: skip
    x, y = to_store(layout, (2.0, 1.0))
    assert (round(x, 9), round(y, 9)) == (9.0, 2.0)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///x.db", "sqlite:///x.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("mysql://u@h/db", "scheme 'mysql' is not supported"),
        ("not a url", "is not a URL"),
    ],
)
def test_database_urls(url: str, expected: str) -> None:
    try:
        assert normalise_url(url) == expected
    except ValueError as error:
        assert expected in str(error)


def test_collector_imports_neither_opencv_nor_onnxruntime() -> None:
    code = (
        "import sys\n"
        "for name in ('cv2', 'onnxruntime', 'scipy', 'numpy'):\n"
        "    sys.modules[name] = None  # importing them now fails\n"
        "import collector.cli, collector.ingest, collector.akl_import, collector.web.server, collector.synthetic\n"
        "sys.exit(collector.cli.main(['--help']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "import-akl" in result.stdout


def test_every_command_has_help_and_bad_options_are_named(tmp_path: object) -> None:
    import argparse

    from collector.cli import build_parser, main

    actions = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert {c.dest for c in actions[0]._choices_actions} == {"migrate", "run", "serve", "site", "import-akl"}
    assert all(c.help for c in actions[0]._choices_actions), "every command has help text"
    assert main(["migrate", "--db", "mysql://x/y"]) == 2
    assert main(["site", "s1", "--db", "sqlite:///:memory:", "--timezone", "Mars/Olympus"]) == 2
