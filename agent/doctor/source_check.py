"""Doctor check of the input: open the camera, file or serial sensor once and read one frame or line."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

from agent.config import AgentConfig
from agent.doctor.result import CheckResult
from agent.errors import SourceError
from agent.geometry.calibration_file import load_calibration
from agent.geometry.config import FileCalibrationConfig
from agent.geometry.errors import CalibrationError
from agent.sources import build_source
from agent.sources.serial_config import CounterSerialSourceConfig, ToFSerialSourceConfig
from agent.sources.serial_port import SerialMessageSource


def check_source(config: AgentConfig, timeout_s: float) -> CheckResult:
    """Open the configured source and read one frame (camera, file, sim) or message (serial).

    A serial port is read for at most `timeout_s` seconds. A camera read has no
    timeout of its own in OpenCV; the doctor's deadline (`run_with_deadline`) covers it.
    """
    source = config.source
    if isinstance(source, ToFSerialSourceConfig | CounterSerialSourceConfig):
        return _check_serial(source, timeout_s)
    return _check_frames(config)


def describe_source(source: object) -> str:
    """A frame source in a few words: its file, scenario, device or URL (never a URL's password)."""
    for key in ("path", "scenario", "device"):
        value = getattr(source, key, None)
        if value is not None:
            return f"{getattr(source, 'type', 'source')} {value}"
    url = getattr(source, "url", None)
    if isinstance(url, str):
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        return f"stream {parts.scheme}://{netloc}{parts.path}"
    return f"{getattr(source, 'type', 'source')} (GStreamer pipeline)"


def _frames_fix(source: object) -> str:
    if getattr(source, "type", None) == "camera":
        return (
            "check the camera's cable and power (`v4l2-ctl --list-devices` for a USB or CSI camera, "
            "the stream URL in a player for a network camera), then source.device, source.url or "
            "source.pipeline in the config"
        )
    return "fix source.path (relative paths are relative to the config file's folder)"


def _check_frames(config: AgentConfig) -> CheckResult:
    name = "source"
    source_config = config.source
    where = describe_source(source_config)
    try:
        source = build_source(source_config)  # type: ignore[arg-type]  # serial types are handled above
        try:
            frame = next(iter(source.frames()), None)
        finally:
            source.close()
    except SourceError as exc:
        return CheckResult(name, "fail", str(exc), _frames_fix(source_config))
    if frame is None:
        return CheckResult(name, "fail", f"{where}: opened but gave no frame", _frames_fix(source_config))
    size = f"{frame.meta.width_px}x{frame.meta.height_px}"
    calibrated = _calibrated_size(config)
    if calibrated is not None and calibrated != (frame.meta.width_px, frame.meta.height_px):
        return CheckResult(
            name,
            "fail",
            f"{where} gives {size} frames, but the calibration file was made for "
            f"{calibrated[0]}x{calibrated[1]}",
            "set the camera to the calibrated resolution (source.width_px, source.height_px), or "
            "recalibrate at this one: `footfall calibrate quick` (see calibration/README.md)",
        )
    return CheckResult(name, "ok", f"{where}: first frame {size}")


def _calibrated_size(config: AgentConfig) -> tuple[int, int] | None:
    """The image size of the calibration file's lens, or None without one (or when it cannot load)."""
    calibration = config.calibration
    if not isinstance(calibration, FileCalibrationConfig):
        return None
    try:
        lens = load_calibration(calibration.path).lens
    except CalibrationError:
        return None  # reported by the calibration check
    return lens.width_px, lens.height_px


def _check_serial(source: ToFSerialSourceConfig | CounterSerialSourceConfig, timeout_s: float) -> CheckResult:
    name = "source"
    stop = threading.Event()
    try:
        link = SerialMessageSource(source.port, source.baudrate, stop)
    except SourceError as exc:
        return CheckResult(
            name,
            "fail",
            str(exc),
            "plug the sensor in and find its port with `ls -l /dev/serial/by-id/`, then set source.port "
            "to that path (the by-id name survives replugging)",
        )
    # The reader reopens a lost port until stopped, so a timer ends the read at the deadline.
    timer = threading.Timer(timeout_s, stop.set)
    timer.start()
    started = time.monotonic()
    try:
        message = next((m for m in link.messages() if m is not None), None)
    finally:
        stop.set()
        timer.cancel()
        link.close()
    if message is not None:
        return CheckResult(
            name,
            "ok",
            f"serial port {source.port} at {source.baudrate} baud: "
            f"{type(message).__name__} after {time.monotonic() - started:.1f} s",
        )
    diagnosis = link.health.diagnosis or link.health.last_error or "no bytes received"
    detail = f"serial port {source.port} opened, no valid line within {timeout_s:g} s: {diagnosis}"
    fix = (
        f"check source.baudrate ({source.baudrate}) against the sensor's setting and its power; "
        "the line protocol is in docs/serial-protocol.md"
    )
    if isinstance(source, CounterSerialSourceConfig) and link.health.bad_lines == 0:
        # A counter repeats its state only every 10 s: silence over a short wait is not yet a fault.
        return CheckResult(name, "warn", detail, fix + "; or rerun with --timeout 12")
    return CheckResult(name, "fail", detail, fix)
