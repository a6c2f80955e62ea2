"""Writing what the installer drew back into the device config (and the calibration file).

The TOML is edited with tomlkit, so the installer's comments and the other
sections stay as they were; only ``[[lines]]`` and ``[[zones]]`` are
replaced. The new document is validated with the agent's own config model
before anything is written, the previous file is kept as
``NAME.toml.bak-<UTC timestamp>``, and files are replaced atomically
(temporary file + rename), so a power cut leaves the old or the new file,
never half of one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomlkit

from agent.analytics.config import LineConfig, ZoneConfig
from agent.config import AgentConfig, load_config, parse_config
from agent.errors import ConfigError
from agent.geometry.calibration_file import CalibrationQuality, load_quality, save_calibration
from agent.geometry.camera import CameraModel
from agent.geometry.config import FileCalibrationConfig
from agent.geometry.projector import build_projector

# Floor positions are written to the millimetre: a tape measures no better.
_DECIMALS = 3


@dataclass(frozen=True)
class SavedFiles:
    """What a save wrote: the config, its backup, and the calibration file and its backup if changed."""

    config: Path
    config_backup: Path
    calibration: Path | None = None
    calibration_backup: Path | None = None


def _xy(point: tuple[float, float]) -> list[float]:
    return [round(float(point[0]), _DECIMALS), round(float(point[1]), _DECIMALS)]


def _line_table(line: LineConfig) -> Any:
    table = tomlkit.table()
    table.add("name", line.name)
    table.add("start", _xy(line.start))
    table.add("end", _xy(line.end))
    table.add("in_side", line.in_side)
    table.add("hysteresis_m", line.hysteresis_m)
    if line.mode != "immediate":
        table.add("mode", line.mode)
    return table


def _zone_table(zone: ZoneConfig) -> Any:
    table = tomlkit.table()
    table.add("name", zone.name)
    table.add("polygon", [_xy(corner) for corner in zone.polygon])
    defaults = ZoneConfig.model_fields
    for key in ("enter_s", "exit_s"):
        if getattr(zone, key) != defaults[key].default:
            table.add(key, getattr(zone, key))
    return table


def layout_text(text: str, lines: list[LineConfig], zones: list[ZoneConfig]) -> str:
    """The config text ``text`` with its ``[[lines]]`` and ``[[zones]]`` replaced (other keys kept).

    Raises:
        tomlkit.exceptions.ParseError: ``text`` is not TOML.
    """
    document = tomlkit.parse(text)
    tables = {"lines": [_line_table(line) for line in lines], "zones": [_zone_table(zone) for zone in zones]}
    for key, items in tables.items():
        if key in document:
            del document[key]
        if items:
            array = tomlkit.aot()
            for item in items:
                array.append(item)
            document.append(key, array)
    return tomlkit.dumps(document)


def check_config_text(text: str, path: Path) -> AgentConfig:
    """Validate config text as ``footfall config check`` would (the calibration file must load too).

    Raises:
        ConfigError: the text is not valid TOML or not a valid config (every problem named).
        CalibrationError: the calibration file does not load.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, [f"{path}: not valid TOML: {error}"]) from None
    config = parse_config(data, path)
    if config.calibration is not None:
        build_projector(config.calibration)
    return config


def backup_name(path: Path, now: datetime | None = None) -> Path:
    """``NAME.bak-<UTC timestamp>`` next to ``path``; a suffix keeps two saves in one second apart."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.bak-{stamp}")
    counter = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak-{stamp}-{counter}")
        counter += 1
    return candidate


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_layout(
    config_path: Path,
    lines: list[LineConfig],
    zones: list[ZoneConfig],
    camera: CameraModel | None = None,
    floor_quality: tuple[float, float] | None = None,
) -> SavedFiles:
    """Write lines and zones into the config, and ``camera`` (if given) into its calibration file.

    ``camera`` must be at the calibration file's image size; ``floor_quality``
    is (RMS, worst) mark error in centimetres, recorded in the calibration file.
    Both files are backed up before they are replaced; the result is checked
    as ``footfall config check`` does, and both backups are restored if it fails.

    Raises:
        ConfigError: the new config would be invalid (nothing is written), or
            ``camera`` is given but the config has no calibration file.
        CalibrationError: the calibration file written does not load (backups restored).
        OSError: a file cannot be read or written.
    """
    text = config_path.read_text(encoding="utf-8")
    new_text = layout_text(text, lines, zones)
    config = check_config_text(new_text, config_path)
    calibration_path: Path | None = None
    calibration_backup: Path | None = None
    if camera is not None:
        if not isinstance(config.calibration, FileCalibrationConfig):
            raise ConfigError(config_path, [f'{config_path}: calibration: a solved pose needs type = "file"'])
        calibration_path = config.calibration.path
        lens_rms_px = load_quality(calibration_path).lens_rms_px if calibration_path.exists() else None
        if calibration_path.exists():
            calibration_backup = backup_name(calibration_path)
            shutil.copy2(calibration_path, calibration_backup)
        rms_cm, max_cm = floor_quality if floor_quality is not None else (None, None)
        save_calibration(
            camera,
            calibration_path,
            quality=CalibrationQuality(lens_rms_px=lens_rms_px, floor_rms_cm=rms_cm, floor_max_cm=max_cm),
            created_by="footfall calibrate serve",
        )
    config_backup = backup_name(config_path)
    shutil.copy2(config_path, config_backup)
    _write_atomically(config_path, new_text)
    try:
        loaded = load_config(config_path)
        if loaded.calibration is not None:
            build_projector(loaded.calibration)
    except Exception:
        shutil.copy2(config_backup, config_path)
        if calibration_path is not None and calibration_backup is not None:
            shutil.copy2(calibration_backup, calibration_path)
        raise
    return SavedFiles(config_path, config_backup, calibration_path, calibration_backup)
