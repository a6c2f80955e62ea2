"""`footfall simulate`: writes the clip, truth and sheet; every option has help."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from agent.cli import build_parser, main


def test_simulate_writes_clip_truth_and_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "simulate",
            "--scenario",
            "checkout",
            "--seed",
            "3",
            "--minutes",
            "0.05",
            "--fps",
            "10",
            "--size",
            "160x120",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    truth = json.loads((tmp_path / "checkout.truth.json").read_text(encoding="utf-8"))
    assert truth["scenario"] == "checkout" and len(truth["frames"]) == 30
    assert truth["command"].startswith("footfall simulate --scenario checkout --seed 3")
    capture = cv2.VideoCapture(str(tmp_path / "checkout.mp4"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 30
    capture.release()
    assert cv2.imread(str(tmp_path / "checkout.sheet.jpg")) is not None
    assert "100%" in capsys.readouterr().err


def test_every_simulate_option_has_help() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    simulate = subparsers.choices["simulate"]  # type: ignore[attr-defined]
    for action in simulate._actions:
        assert action.help, f"simulate {action.option_strings} has no help"


def test_bad_size_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["simulate", "--scenario", "aisle", "--size", "big", "--out", "x"])
    assert "WIDTHxHEIGHT" in capsys.readouterr().err
