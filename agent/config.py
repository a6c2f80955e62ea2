"""The device config: one TOML file, one pydantic model per section.

Every section forbids unknown keys, so a misspelled key fails at load instead
of being silently ignored. `load_config` turns every problem into a
`ConfigError` that names the file, the key path, the bad value and what was
expected. Relative paths in the file are resolved against the file's folder.
Secrets are never read from the TOML: see `agent.secrets`.
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from agent.analytics.config import (
    AggregationConfig,
    HeatmapConfig,
    LineConfig,
    PrivacyConfig,
    ZoneConfig,
)
from agent.config_base import ID_PATTERN, FloorXY, Section
from agent.detect.config import DetectorConfig
from agent.errors import ConfigError
from agent.geometry.config import CalibrationConfig
from agent.publish.config import MqttConfig, OutboxConfig
from agent.runtime.config import SupervisorConfig
from agent.sources.config import SourceConfig
from agent.track.config import NearestTrackerConfig, TrackerConfig


class DeviceConfig(Section):
    """Who this device is: the `{site}/{device}` levels of every MQTT topic."""

    site: str = Field(pattern=ID_PATTERN, description="Site id, e.g. 'mechelen-bruul-12'.")
    id: str = Field(pattern=ID_PATTERN, description="Device id, unique within the site.")


class LayoutConfig(Section):
    """Where this device's floor frame sits on the store plan, so several devices draw on one plan."""

    offset_m: FloorXY = Field(default=(0.0, 0.0), description="The device frame's origin in the store frame.")
    rotation_deg: float = Field(default=0.0, ge=-360, le=360, description="Counter-clockwise, degrees.")

    @property
    def placed(self) -> bool:
        """Whether a placement was given (anything but the identity)."""
        return self.offset_m != (0.0, 0.0) or self.rotation_deg != 0.0


class LoggingConfig(Section):
    """Log level and format (logs go to stderr; journald keeps them under systemd)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class AgentConfig(Section):
    """The whole device config file."""

    device: DeviceConfig
    source: SourceConfig
    detector: DetectorConfig | None = Field(default=None, description="Required for camera and sim sources.")
    calibration: CalibrationConfig | None = Field(
        default=None, description="Required for camera and sim sources."
    )
    tracker: TrackerConfig = NearestTrackerConfig()
    lines: list[LineConfig] = Field(default_factory=list)
    zones: list[ZoneConfig] = Field(default_factory=list)
    heatmap: HeatmapConfig = HeatmapConfig()
    aggregation: AggregationConfig = AggregationConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    mqtt: MqttConfig = MqttConfig()
    outbox: OutboxConfig = OutboxConfig()
    layout: LayoutConfig = LayoutConfig()
    logging: LoggingConfig = LoggingConfig()
    supervisor: SupervisorConfig = SupervisorConfig()

    def floor_extent_m(self, margin_m: float = 1.0) -> tuple[tuple[float, float], tuple[float, float]]:
        """Lower-left and upper-right corners (metres) of the lines and zones, widened by `margin_m`.

        Without lines or zones: the square of side 2 * `margin_m` around the origin.
        """
        points = [p for line in self.lines for p in (line.start, line.end)]
        points += [p for zone in self.zones for p in zone.polygon] or [(0.0, 0.0)]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return (min(xs) - margin_m, min(ys) - margin_m), (max(xs) + margin_m, max(ys) + margin_m)

    @model_validator(mode="after")
    def _camera_needs_detector_and_calibration(self) -> AgentConfig:
        if self.source.type in ("file", "camera", "sim"):
            missing = [name for name in ("detector", "calibration") if getattr(self, name) is None]
            if missing:
                raise ValueError(
                    f"source type {self.source.type!r} sees images: [{'] and ['.join(missing)}] "
                    "must be configured"
                )
        return self

    @field_validator("lines", "zones")
    @classmethod
    def _unique_names(cls, items: list[LineConfig] | list[ZoneConfig]) -> list[Any]:
        names = [item.name for item in items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"names must be unique, repeated: {', '.join(duplicates)}")
        return items


def _resolve_paths(model: BaseModel, base_dir: Path) -> BaseModel:
    """Return a copy of `model` with every relative `Path` field made absolute against `base_dir`."""
    updates: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Path) and not value.is_absolute():
            updates[name] = (base_dir / value).resolve()
        elif isinstance(value, BaseModel):
            updates[name] = _resolve_paths(value, base_dir)
    return model.model_copy(update=updates) if updates else model


def _format_location(loc: tuple[int | str, ...], data: Any) -> str:
    """`('lines', 0, 'start')` -> `lines[0].start`.

    Pydantic puts the tag of a tagged union (`source.type = "file"`) into the
    location as an extra level; it is recognised against the document and dropped.
    """
    text = ""
    node = data
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("type") == part:
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return text or "(top level)"


def format_validation_error(path: Path, error: ValidationError, data: Any) -> list[str]:
    """One line per problem: `FILE: key.path: got VALUE: what was expected`."""
    lines = []
    for item in error.errors():
        key = _format_location(item["loc"], data)
        if not item["loc"]:  # a rule across sections: the message names the keys
            lines.append(f"{path}: {item['msg'].removeprefix('Value error, ')}")
            continue
        if item["type"] == "missing":
            lines.append(f"{path}: {key}: required key is missing")
        elif item["type"] == "extra_forbidden":
            lines.append(f"{path}: {key}: unknown key (misspelled?); value was {item['input']!r}")
        else:
            lines.append(f"{path}: {key}: got {item['input']!r}: {item['msg']}")
    return lines


def parse_config(data: dict[str, Any], path: Path) -> AgentConfig:
    """Validate an already-parsed TOML document; relative paths resolve against `path`'s folder.

    Raises:
        ConfigError: listing every invalid key with file, key path, value and expectation.
    """
    try:
        config = AgentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(path, format_validation_error(path, exc, data)) from None
    resolved = _resolve_paths(config, path.resolve().parent)
    assert isinstance(resolved, AgentConfig)
    return resolved


def apply_overrides(data: dict[str, Any], overrides: list[str], path: Path) -> dict[str, Any]:
    """Set `dotted.key=VALUE` overrides (VALUE in TOML syntax, else a plain string) on a document.

    Raises:
        ConfigError: an override is not of the form KEY=VALUE, or walks through a non-table key.
    """
    for override in overrides:
        key, sep, raw = override.partition("=")
        if not sep or not key.strip():
            raise ConfigError(path, [f"--set {override!r}: expected KEY=VALUE, e.g. mqtt.port=1884"])
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        node = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(path, [f"--set {override!r}: {part} is not a table, cannot set {key}"])
            node = child
        node[parts[-1]] = value
    return data


def add_overrides_argument(parser: argparse.ArgumentParser) -> None:
    """`--set KEY=VALUE` (repeatable) on a command that loads a config; the values go to `load_config`."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config key, VALUE in TOML syntax (e.g. --set mqtt.port=1884 "
        "--set outbox.path='\"/tmp/o.db\"'); may be repeated",
    )


def load_config(path: Path, overrides: list[str] | None = None) -> AgentConfig:
    """Read and validate a device config file, with optional `KEY=VALUE` overrides.

    Raises:
        ConfigError: the file is missing or unreadable, is not valid TOML (with line
            and column), or has invalid keys (each named with its key path).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, [f"{path}: cannot read config file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path, [f"{path}: byte {exc.start}: not UTF-8 text, a config must be TOML"]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"{path}: not valid TOML: {exc}"]) from None
    return parse_config(apply_overrides(data, overrides or [], path), path)
