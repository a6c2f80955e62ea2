"""The device config: one TOML file, one pydantic model per section.

Every section forbids unknown keys, so a misspelled key fails at load instead
of being silently ignored. `load_config` turns every problem into a
`ConfigError` that names the file, the key path, the bad value and what was
expected. Relative paths in the file are resolved against the file's folder.
Secrets are never read from the TOML: see `agent.secrets`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agent.errors import ConfigError

# Site and device ids become MQTT topic levels and file names: no wildcards,
# no separators, nothing a shell or a broker ACL would trip over.
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

FloorXY = tuple[float, float]


class Section(BaseModel):
    """Base of every config section: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceConfig(Section):
    """Who this device is: the `{site}/{device}` levels of every MQTT topic."""

    site: str = Field(pattern=_ID_PATTERN, description="Site id, e.g. 'mechelen-bruul-12'.")
    id: str = Field(pattern=_ID_PATTERN, description="Device id, unique within the site.")


class FileSourceConfig(Section):
    """A video file read through OpenCV."""

    type: Literal["file"]
    path: Path
    realtime: bool = Field(
        default=True, description="Pace frames at the file's native rate; false = as fast as possible."
    )
    loop: bool = Field(default=False, description="Start again at the end of the file.")


SourceConfig = Annotated[FileSourceConfig, Field(discriminator="type")]


class BackgroundDetectorConfig(Section):
    """Moving-blob detector: OpenCV MOG2 background subtraction, morphology and contours."""

    type: Literal["background"]
    history_frames: int = Field(default=200, gt=0)
    var_threshold: float = Field(default=25.0, gt=0)
    min_area_px: int = Field(default=150, gt=0, description="Smaller blobs are noise.")
    max_area_px: int = Field(default=40_000, gt=0, description="Larger blobs are lighting changes.")
    warmup_frames: int = Field(default=10, ge=0, description="Frames used only to learn the background.")

    @model_validator(mode="after")
    def _areas_ordered(self) -> BackgroundDetectorConfig:
        if self.max_area_px <= self.min_area_px:
            raise ValueError(
                f"max_area_px ({self.max_area_px}) must be greater than min_area_px ({self.min_area_px})"
            )
        return self


DetectorConfig = Annotated[BackgroundDetectorConfig, Field(discriminator="type")]


class ScaleCalibrationConfig(Section):
    """A straight-down camera described by a single ground scale (no lens model).

    Floor x = (u - origin_u) * metres_per_pixel, floor y = (origin_v - v) * metres_per_pixel:
    floor +y is up the image, as on a map.
    """

    type: Literal["scale"]
    metres_per_pixel: float = Field(gt=0, le=1.0)
    origin_px: FloorXY = Field(description="The pixel (u, v) over floor (0, 0).")


class FileCalibrationConfig(Section):
    """A lens-and-pose calibration file written by `footfall calibrate`."""

    type: Literal["file"]
    path: Path
    point_height_m: float = Field(
        default=0.0, ge=0, lt=3.0, description="Height of the detected point: 0 feet, ~1.6 head top."
    )


CalibrationConfig = Annotated[ScaleCalibrationConfig | FileCalibrationConfig, Field(discriminator="type")]


class TrackerConfig(Section):
    """Tracker settings, in floor metres and seconds."""

    type: Literal["nearest"] = "nearest"
    max_distance_m: float = Field(default=0.8, gt=0, description="Gate: farther detections never match.")
    min_hits: int = Field(default=3, ge=1, description="Detections needed before a track counts.")
    max_age_s: float = Field(default=1.0, gt=0, description="A track unseen this long is ended.")


class LineConfig(Section):
    """A counting line on the floor, metres. "in" is on the `in_side` of start -> end."""

    name: str = Field(pattern=_ID_PATTERN)
    start: FloorXY
    end: FloorXY
    in_side: Literal["left", "right"] = "left"
    hysteresis_m: float = Field(default=0.2, ge=0, description="Distance past the line before a count.")

    @model_validator(mode="after")
    def _has_length(self) -> LineConfig:
        if self.start == self.end:
            raise ValueError(f"start and end are the same point {list(self.start)}; a line needs length > 0")
        return self


class ZoneConfig(Section):
    """A zone polygon on the floor, metres, at least three corners."""

    name: str = Field(pattern=_ID_PATTERN)
    polygon: list[FloorXY] = Field(min_length=3)


class HeatmapConfig(Section):
    """Heatmap grid on the floor."""

    enabled: bool = False
    cell_m: float = Field(default=0.5, gt=0, le=10)


class AggregationConfig(Section):
    """Time buckets of the published reports."""

    bucket_s: int = Field(default=60, ge=1, le=86_400, description="Bucket length in seconds.")


class PrivacyConfig(Section):
    """Small-count suppression (rule 2 of DESIGN.md)."""

    min_people_k: int = Field(
        default=3, ge=1, description="Cells, flows and dwell bins seen by fewer people are withheld."
    )


class TlsConfig(Section):
    """TLS to the broker. The key passphrase comes from the credentials, never from here."""

    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> TlsConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file must be given together (client certificate and its key)")
        return self


class MqttConfig(Section):
    """The broker the reports go to. The password comes from the credentials, never from here."""

    host: str = "localhost"
    port: int = Field(default=1883, ge=1, le=65535)
    protocol: Literal["5", "3.1.1"] = "5"
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    username: str | None = None
    topic_prefix: str = Field(default="footfall/v1", pattern=r"^[^#+]+[^/#+]$")
    tls: TlsConfig | None = None


class OutboxConfig(Section):
    """The SQLite outbox every report is written to before it is sent."""

    path: Path = Path("state/outbox.db")
    synchronous: Literal["FULL", "NORMAL"] = "FULL"
    inflight_max: int = Field(default=20, ge=1, le=1000, description="Unacknowledged publishes at once.")


class LoggingConfig(Section):
    """Log level and format (logs go to stderr; journald keeps them under systemd)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class AgentConfig(Section):
    """The whole device config file."""

    device: DeviceConfig
    source: SourceConfig
    detector: DetectorConfig
    calibration: CalibrationConfig
    tracker: TrackerConfig = TrackerConfig()
    lines: list[LineConfig] = Field(default_factory=list)
    zones: list[ZoneConfig] = Field(default_factory=list)
    heatmap: HeatmapConfig = HeatmapConfig()
    aggregation: AggregationConfig = AggregationConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    mqtt: MqttConfig = MqttConfig()
    outbox: OutboxConfig = OutboxConfig()
    logging: LoggingConfig = LoggingConfig()

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
