"""Config loading: every mistake is named with the file, the key path and what was expected."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from agent.config import load_config
from agent.credentials import MQTT_PASSWORD, read_secret
from agent.errors import ConfigError

EXAMPLE = Path("config/example.toml")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "device.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _example_with(replacements: dict[str, str]) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_example_config_loads_and_resolves_paths_against_its_folder() -> None:
    config = load_config(EXAMPLE)
    assert config.source.path == (Path("sim_videos/doorway.avi")).resolve()
    assert config.outbox.path.is_absolute()
    assert [line.name for line in config.lines] == ["door"]


@pytest.mark.parametrize(
    "replacements,expected",
    [
        ({'[mqtt]\nhost = "localhost"': '[mqtt]\nhots = "localhost"'}, ["mqtt.hots", "unknown key"]),
        ({"port = 1883": 'port = "eighteen"'}, ["mqtt.port", "'eighteen'", "integer"]),
        ({'site = "demo-street-1"': ""}, ["device.site", "required key is missing"]),
        ({"metres_per_pixel = 0.02": "metres_per_pixel = -1.0"}, ["calibration.metres_per_pixel", "-1.0"]),
        ({"min_hits = 3": "min_hits = 0"}, ["tracker.min_hits", "greater than or equal to 1"]),
        ({"start = [0.6, 2.4]": "start = [0.6]"}, ["lines[0].start"]),
        ({'type = "background"': 'type = "yolo"'}, ["detector", "'yolo'"]),
        ({'protocol = "5"': 'protocol = "4"'}, ["mqtt.protocol", "'4'"]),
        (
            {
                "polygon = [[0.6, 2.4], [5.2, 2.4], [5.2, 4.6], [0.6, 4.6]]": "polygon = [[0.6, 2.4], [5.2, 2.4]]"
            },
            ["zones[0].polygon", "at least 3"],
        ),
        ({"max_area_px = 40000": "max_area_px = 100"}, ["detector", "max_area_px (100)"]),
    ],
)
def test_bad_value_is_named(tmp_path: Path, replacements: dict[str, str], expected: list[str]) -> None:
    path = _write(tmp_path, _example_with(replacements))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in expected:
        assert fragment in message


def test_nested_key_path_is_dotted(tmp_path: Path) -> None:
    path = _write(tmp_path, EXAMPLE.read_text() + "\n[mqtt.tls]\nca_file = 42\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "mqtt.tls.ca_file" in str(caught.value)


def test_three_mistakes_give_three_named_lines_and_exit_2(tmp_path: Path) -> None:
    """Must show 3: a misspelled key, a wrong type and a missing required key, each named with the file."""
    path = _write(
        tmp_path,
        _example_with(
            {
                "keepalive_s = 30": "keepalive_secs = 30",
                "bucket_s = 10": 'bucket_s = "ten"',
                'id = "door-cam-1"': "",
            }
        ),
    )
    result = subprocess.run(
        [sys.executable, "-m", "agent.cli", "config", "check", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if "config error" in line]
    assert len(lines) == 3, result.stderr
    assert all(str(path) in line for line in lines)
    joined = "\n".join(lines)
    assert "mqtt.keepalive_secs: unknown key" in joined
    assert "aggregation.bucket_s: got 'ten'" in joined
    assert "device.id: required key is missing" in joined


def test_toml_syntax_error_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "[device]\nsite = \n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value) and "line 2" in str(caught.value)


def test_duplicate_line_names_are_refused(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    block = text[text.index("\n[[lines]]\n") : text.index("# Zones")]
    path = _write(tmp_path, text.replace(block, block + block))
    with pytest.raises(ConfigError, match="repeated: door"):
        load_config(path)


def test_overrides_use_toml_values() -> None:
    config = load_config(EXAMPLE, ["mqtt.port=1884", "source.realtime=false", "mqtt.host=broker.local"])
    assert config.mqtt.port == 1884
    assert config.source.realtime is False
    assert config.mqtt.host == "broker.local"


def test_malformed_override_is_refused() -> None:
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        load_config(EXAMPLE, ["mqtt.port"])


def test_no_password_key_exists_in_the_config(tmp_path: Path) -> None:
    path = _write(tmp_path, EXAMPLE.read_text().replace("[mqtt]\n", '[mqtt]\npassword = "hunter2"\n'))
    with pytest.raises(ConfigError, match="mqtt.password: unknown key"):
        load_config(path)


def test_secret_comes_from_environment_then_credentials_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MQTT_PASSWORD, raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    assert read_secret(MQTT_PASSWORD) is None
    (tmp_path / MQTT_PASSWORD.lower()).write_text("from-systemd\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert read_secret(MQTT_PASSWORD) == "from-systemd"
    monkeypatch.setenv(MQTT_PASSWORD, "from-env")
    assert read_secret(MQTT_PASSWORD) == "from-env"


def test_example_is_valid_toml_with_comments_on_every_section() -> None:
    text = EXAMPLE.read_text()
    tomllib.loads(text)
    for section in (
        "device",
        "source",
        "detector",
        "calibration",
        "tracker",
        "lines",
        "zones",
        "heatmap",
        "aggregation",
        "privacy",
        "mqtt",
        "outbox",
        "logging",
    ):
        assert f"[{section}]" in text or f"[[{section}]]" in text


def test_camera_source_needs_detector_and_calibration(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    text = text[: text.index("[detector]")] + text[text.index("[tracker]") :]
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text))
    assert "source type 'file' sees images: [detector] and [calibration] must be configured" in str(
        caught.value
    )


def test_serial_source_needs_neither_detector_nor_calibration(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    text = (
        text[: text.index("[source]")]
        + '[source]\ntype = "tof_serial"\nport = "/dev/ttyACM0"\n\n'
        + text[text.index("[tracker]") :]
    )
    config = load_config(_write(tmp_path, text))
    assert config.source.type == "tof_serial" and config.detector is None
