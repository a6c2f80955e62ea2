"""The systemd unit: it verifies, its sandbox scores well, and the installer's dry run touches nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "footfall.service"
INSTALL = UNIT.parent / "install.sh"

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed"
)


def _unit_with_existing_binary(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this venv's footfall: /opt/footfall exists only on a device."""
    footfall = Path(sys.executable).with_name("footfall")
    text = UNIT.read_text().replace("/opt/footfall/venv/bin/footfall", str(footfall))
    assert str(footfall) in text
    copy = tmp_path / UNIT.name
    copy.write_text(text)
    return copy


def test_unit_verifies(tmp_path: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", str(_unit_with_existing_binary(tmp_path))],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_unit_security_exposure_is_at_most_two(tmp_path: Path) -> None:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(_unit_with_existing_binary(tmp_path))],
        capture_output=True,
        text=True,
    )
    match = re.search(
        r"Overall exposure level for footfall.service: (\d+\.\d+)", result.stdout + result.stderr
    )
    if match is None:
        pytest.skip(f"this systemd cannot score a unit file offline: {result.stderr.strip()[:200]}")
    assert float(match.group(1)) <= 2.0


@pytest.mark.parametrize(
    "directive",
    [
        "Type=notify",
        "WatchdogSec=",
        "Restart=always",
        "DynamicUser=yes",
        "StateDirectory=footfall",
        "ConfigurationDirectory=footfall",
        "LoadCredential=footfall_mqtt_password:",
        "SupplementaryGroups=video dialout",
        "DevicePolicy=closed",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "RestrictAddressFamilies=",
        "SystemCallFilter=@system-service",
        "MemoryMax=",
    ],
)
def test_unit_has_directive(directive: str) -> None:
    assert any(line.startswith(directive) for line in UNIT.read_text().splitlines())


def test_install_dry_run_prints_steps_and_changes_nothing() -> None:
    result = subprocess.run(
        ["bash", str(INSTALL), "--dry-run"], capture_output=True, text=True, cwd=UNIT.parents[1]
    )
    assert result.returncode == 0, result.stderr
    assert "would run: systemctl enable footfall.service" in result.stdout
    assert (
        "would run: install -m 0644 systemd/footfall.service /etc/systemd/system/footfall.service"
        in result.stdout
    )


def test_install_refuses_unknown_argument() -> None:
    result = subprocess.run(["bash", str(INSTALL), "--frobnicate"], capture_output=True, text=True)
    assert result.returncode == 2 and "--frobnicate" in result.stderr


def test_installed_device_config_points_where_the_installer_and_the_unit_put_things() -> None:
    """The template install.sh copies to /etc/footfall: its models are installed, its state is the unit's."""
    import tomllib

    from agent.config import parse_config

    template = UNIT.with_name("footfall.toml")
    config = parse_config(tomllib.loads(template.read_text()), Path("/etc/footfall/footfall.toml"))
    dry_run = subprocess.run(
        ["bash", str(INSTALL), "--dry-run"], capture_output=True, text=True, cwd=UNIT.parents[1]
    ).stdout
    assert f"install -m 0640 systemd/{template.name} /etc/footfall/footfall.toml" in dry_run
    height_model = config.calibration.height_model  # type: ignore[union-attr]
    for model in (config.detector.model, height_model):  # type: ignore[union-attr]
        assert model is not None and model.parent == Path("/opt/footfall/models")
        assert f"models/{model.name}" in dry_run and (UNIT.parents[1] / "models" / model.name).is_file()
    state = re.search(r"^StateDirectory=(\S+)", UNIT.read_text(), re.M)
    assert state is not None and config.outbox.path.parent == Path("/var/lib") / state.group(1)
    assert config.source.type == "camera"
