"""`footfall provision` into a temporary config folder: real files, the real systemd unit's credential
name, the agent's own config and credential loaders, and a real broker that checks the password."""

from __future__ import annotations

import io
import re
import stat
import tomllib
from pathlib import Path

import pytest

from agent.cli import main
from agent.config import load_config
from agent.credentials import MQTT_PASSWORD, read_secret
from agent.doctor import run_doctor
from tests.test_doctor import start_password_broker

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config" / "example.toml"
TEMPLATE = ROOT / "systemd" / "footfall.toml"  # the default base: what install.sh put in /etc/footfall
UNIT = ROOT / "systemd" / "footfall.service"
PASSWORD = "pw-9f3b-never-shown"


@pytest.fixture(autouse=True)
def _no_ambient_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MQTT_PASSWORD, raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)


def provision(
    monkeypatch: pytest.MonkeyPatch,
    target: Path,
    *extra: str,
    site: str = "shop-9",
    device: str = "cam-2",
    password: str | None = PASSWORD,
) -> int:
    """Run `footfall provision` in-process, the password on stdin as a password manager would pipe it."""
    args = ["provision", "--target", str(target), "--site", site, "--device", device]
    args += ["--broker", "mqtt.example.org", "--username", device, *extra]
    if password is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        args.append("--password-stdin")
    return main(args)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under `folder`: bytes, mode and modification time (ns)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mode, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def systemd_credentials(unit: Path, target: Path, into: Path) -> Path:
    """Do what the unit's LoadCredential= lines do: copy each source file into a credentials folder
    under the credential's name (the unit's /etc/footfall is replaced by `target`)."""
    into.mkdir()
    for name, source in re.findall(r"^LoadCredential=([^:\n]+):(\S+)$", unit.read_text(), re.MULTILINE):
        path = target / Path(source).relative_to("/etc/footfall")
        (into / name).write_bytes(path.read_bytes())
    return into


def test_provisioned_folder_passes_config_check_and_its_password_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "etc-footfall"
    # The example config calibrates by scale, so `config check` has everything it needs here.
    assert (
        provision(monkeypatch, target, "--tls", "--ca-file", "/etc/footfall/ca.crt", "--from", str(EXAMPLE))
        == 0
    )
    assert PASSWORD not in capsys.readouterr().out
    assert main(["config", "check", str(target / "footfall.toml")]) == 0
    assert "device shop-9/cam-2" in capsys.readouterr().out

    config = load_config(target / "footfall.toml")
    assert (config.device.site, config.device.id) == ("shop-9", "cam-2")
    assert (config.mqtt.host, config.mqtt.port, config.mqtt.username) == ("mqtt.example.org", 8883, "cam-2")
    assert config.mqtt.tls is not None and config.mqtt.tls.ca_file == Path("/etc/footfall/ca.crt")

    secret = target / "credentials" / "mqtt_password"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret.parent.stat().st_mode) == 0o700
    credentials = systemd_credentials(UNIT, target, tmp_path / "run-credentials")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    assert read_secret(MQTT_PASSWORD) == PASSWORD


def test_only_identity_and_broker_keys_change_and_comments_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "etc-footfall"
    assert provision(monkeypatch, target) == 0
    written_text = (target / "footfall.toml").read_text()
    written, example = tomllib.loads(written_text), tomllib.loads(TEMPLATE.read_text())
    assert written["device"] == {"site": "shop-9", "id": "cam-2"}
    assert written["mqtt"] == {
        **example["mqtt"],
        "host": "mqtt.example.org",
        "port": 1883,
        "username": "cam-2",
    }
    for section in example.keys() - {"device", "mqtt"}:
        assert written[section] == example[section], section
    comments = [line.split("#", 1)[1] for line in TEMPLATE.read_text().splitlines() if "#" in line]
    assert all(comment in written_text for comment in comments)
    assert re.search(r'^site = "shop-9" +# set by', written_text, re.MULTILINE), "comment kept"


def test_rerun_is_byte_identical_and_touches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "etc-footfall"
    assert provision(monkeypatch, target) == 0
    before = snapshot(target)
    capsys.readouterr()
    assert provision(monkeypatch, target) == 0
    assert snapshot(target) == before
    out = capsys.readouterr().out
    assert out.count("unchanged:") == 2 and "wrote" not in out


def test_tls_can_be_switched_off_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "etc-footfall"
    assert provision(monkeypatch, target, "--tls", "--ca-file", "ca.crt") == 0
    assert load_config(target / "footfall.toml").mqtt.tls is not None
    assert provision(monkeypatch, target, "--no-tls") == 0
    config = load_config(target / "footfall.toml")
    assert config.mqtt.tls is None and config.mqtt.port == 1883


def test_a_different_identity_is_refused_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "etc-footfall"
    assert provision(monkeypatch, target) == 0
    before = snapshot(target)
    capsys.readouterr()
    assert provision(monkeypatch, target, device="cam-3", password="other") == 2
    err = capsys.readouterr().err
    assert "already shop-9/cam-2, not shop-9/cam-3" in err and "--force" in err
    assert snapshot(target) == before
    assert provision(monkeypatch, target, "--force", device="cam-3", password="other") == 0
    assert load_config(target / "footfall.toml").device.id == "cam-3"
    assert (target / "credentials" / "mqtt_password").read_text() == "other"


def test_dry_run_writes_nothing_and_never_prints_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "etc-footfall"
    assert provision(monkeypatch, target, "--dry-run") == 0
    captured = capsys.readouterr()
    assert not target.exists()
    assert PASSWORD not in captured.out + captured.err
    assert '+site = "shop-9"' in captured.out
    assert "credentials/mqtt_password (mode 0600, 19 bytes; the secret is not shown)" in captured.out
    assert provision(monkeypatch, target) == 0
    before = snapshot(target)
    assert provision(monkeypatch, target, "--dry-run", password="changed-pw") == 0
    assert snapshot(target) == before
    assert "changed-pw" not in capsys.readouterr().out


def test_an_invalid_identity_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "etc-footfall"
    assert provision(monkeypatch, target, site="shop/9") == 2
    assert "device.site: got 'shop/9'" in capsys.readouterr().err
    assert not target.exists()


@pytest.mark.parametrize(
    ("extra", "password", "message"),
    [
        (("--tls",), PASSWORD, "pass --ca-file PATH"),
        (("--cert-file", "d.crt"), PASSWORD, "pass --ca-file PATH"),
        (("--ca-file", "ca.crt", "--cert-file", "d.crt"), PASSWORD, "--cert-file and --key-file together"),
        (("--no-tls", "--ca-file", "ca.crt"), PASSWORD, "--no-tls contradicts"),
        ((), "", "first line of stdin is empty"),
    ],
)
def test_contradictory_or_missing_arguments_write_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: tuple[str, ...],
    password: str,
    message: str,
) -> None:
    assert provision(monkeypatch, tmp_path / "t", *extra, password=password) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "t").exists()


def test_a_ca_file_switches_tls_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert provision(monkeypatch, tmp_path / "t", "--ca-file", "ca.crt") == 0
    config = load_config(tmp_path / "t" / "footfall.toml")
    assert config.mqtt.tls is not None and config.mqtt.tls.ca_file == tmp_path / "t" / "ca.crt"
    assert config.mqtt.port == 8883


def test_doctor_reaches_the_broker_with_the_provisioned_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = start_password_broker(tmp_path / "broker", "cam-2", PASSWORD)
    try:
        target = tmp_path / "etc-footfall"
        assert provision(monkeypatch, target, "--port", str(broker.port)) == 0
        overrides = ["mqtt.host='127.0.0.1'", f"outbox.path='{tmp_path / 'outbox.db'}'"]
        result = next(r for r in run_doctor(target / "footfall.toml", overrides, 3) if r.check == "broker")
    finally:
        broker.stop()
    assert result.status == "ok", result
