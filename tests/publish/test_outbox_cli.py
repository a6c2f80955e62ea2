"""`footfall outbox show | export` on a real outbox file."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli import main
from agent.publish.outbox import Outbox
from tests.publish.test_outbox import report


def _outbox(path: Path) -> Outbox:
    outbox = Outbox(path, topic_prefix="footfall/v1", max_bytes=256 * 1024)
    outbox.add([report(0), report(1), report(2)])
    outbox.acknowledge(0)
    return outbox


def test_show_prints_depth_oldest_and_evicted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "o.db"
    outbox = _outbox(path)  # left open: the agent may be running
    assert main(["outbox", "show", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "pending:  2 report(s)" in out
    assert "oldest:   seq 1, counts for bucket 2026-11-30T09:01:00+00:00" in out
    assert "evicted:  0 report(s)" in out
    assert "next seq: 3" in out
    outbox.close()


def test_export_writes_pending_payloads_exactly_as_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "o.db"
    outbox = _outbox(path)
    expected = [row.payload for row in outbox.pending_after(-1, 10)]
    target = tmp_path / "pending.jsonl"
    assert main(["outbox", "export", "--db", str(path), "--output", str(target)]) == 0
    assert target.read_text().splitlines() == expected
    assert "exported 2 pending report(s)" in capsys.readouterr().err
    outbox.close()


def test_missing_outbox_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.db"
    assert main(["outbox", "show", "--db", str(missing)]) == 2
    assert f"{missing}: no outbox database here" in capsys.readouterr().err
