"""The command line: every command has help, and `--help` lists them."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from agent.cli import build_parser, main


def _all_subparsers(
    parser: argparse.ArgumentParser, path: str = "footfall"
) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.extend(_all_subparsers(child, f"{path} {name}"))
    return found


def _help_of(parser: argparse.ArgumentParser, name: str) -> str | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.dest == name:
                    return choice.help
    return None


@pytest.mark.parametrize("path,parser", _all_subparsers(build_parser()), ids=lambda v: str(v))
def test_every_command_has_help(path: str, parser: argparse.ArgumentParser) -> None:
    assert parser.description, f"{path} has no description"
    for action in parser._actions:
        if action.dest not in ("help", "command", "config_command", "schemas_command", "calibrate_command"):
            assert action.help, f"{path}: option {action.option_strings or action.dest} has no help"


def test_top_level_help_lists_every_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agent.cli", "--help"], capture_output=True, text=True, check=True
    )
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name in action.choices:
                assert name in result.stdout
                assert _help_of(parser, name), f"{name} has no one-line help in the command list"


def test_config_check_ok_prints_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", "config/example.toml"]) == 0
    assert "door-cam-1" in capsys.readouterr().out


def test_missing_config_file_is_named(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    missing = tmp_path / "nope.toml"
    assert main(["config", "check", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err


def test_schemas_check_passes_on_committed_schemas() -> None:
    assert main(["schemas", "check", "schemas"]) == 0


def test_config_with_calibration_file_checks_the_file(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    calibration = Path("calibration/examples").resolve()
    example = sorted(calibration.glob("*.json"))[0]
    overrides = [
        "--set",
        "calibration.type='file'",
        "--set",
        f"calibration.path='{example}'",
        "--set",
        "calibration.point_height_m=1.6",
    ]
    text = Path("config/example.toml").read_text().replace("origin_px = [0.0, 240.0]", "")
    config = tmp_path / "device.toml"
    config.write_text(text.replace("metres_per_pixel = 0.02 ", "# "))
    assert main(["config", "check", str(config), *overrides]) == 0, capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": 1, "lens": {}}')
    overrides[3] = f"calibration.path='{broken}'"
    assert main(["config", "check", str(config), *overrides]) == 2
    assert str(broken) in capsys.readouterr().err


def test_doctor_and_provision_are_commands_with_their_options() -> None:
    parser = build_parser()
    doctor = parser.parse_args(["doctor", "--json", "--timeout", "2"])
    assert (doctor.config, doctor.json, doctor.timeout) == (Path("/etc/footfall/footfall.toml"), True, 2.0)
    provision = parser.parse_args(["provision", "--site", "s", "--device", "d", "--broker", "b", "--no-tls"])
    assert (provision.target, provision.tls, provision.dry_run) == (Path("/etc/footfall"), False, False)


def test_doctor_exits_1_and_names_a_missing_config(tmp_path: Path) -> None:
    missing = tmp_path / "footfall.toml"
    result = subprocess.run(
        [sys.executable, "-m", "agent.cli", "doctor", "--config", str(missing)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert f"{missing}: cannot read config file" in result.stdout
    assert "footfall doctor: 1 failed (config)" in result.stdout
