"""Doctor checks of the vision stages: the calibration file and the detector's model."""

from __future__ import annotations

import platform
import statistics
import time
from pathlib import Path

import numpy as np

from agent.config import AgentConfig
from agent.detect import Detector, ModelError, OnnxDetectorConfig, build_detector
from agent.detect.person_height import PersonHeights
from agent.doctor.result import CheckResult
from agent.geometry.calibration_file import load_calibration
from agent.geometry.config import FileCalibrationConfig
from agent.geometry.errors import CalibrationError
from agent.types import Frame, FrameMeta


def check_calibration(config: AgentConfig) -> CheckResult:
    """Load the calibration file the config names (lens and pose), as the agent does at start."""
    name = "calibration"
    calibration = config.calibration
    if calibration is None:
        return CheckResult(name, "skip", f"source {config.source.type!r} needs no calibration")
    if not isinstance(calibration, FileCalibrationConfig):
        return CheckResult(
            name,
            "ok",
            f"scale {calibration.metres_per_pixel:g} m/px, origin {calibration.origin_px} (no file)",
        )
    try:
        camera = load_calibration(calibration.path)
    except CalibrationError as exc:
        return CheckResult(
            name,
            "fail",
            str(exc),
            f"copy the file written by `footfall calibrate` to {calibration.path}, or point "
            "calibration.path at it; to make one: `footfall calibrate quick` (see calibration/README.md)",
        )
    detail = (
        f"{calibration.path}: lens {camera.lens.width_px}x{camera.lens.height_px} px, "
        f"camera {camera.position_m[2]:.2f} m above the floor"
    )
    if calibration.height_model is not None:
        try:
            PersonHeights(calibration.height_model)
        except (OSError, ValueError) as exc:
            return CheckResult(
                name,
                "fail",
                f"{detail}; {exc}",
                f"put the height model at {calibration.height_model} or remove calibration.height_model "
                "(people are then placed at point_height_m); the shipped one is models/footfall_height.onnx "
                "in the footfall source",
            )
        detail += f"; heights read by {calibration.height_model}"
    return CheckResult(name, "ok", detail)


def check_model(config: AgentConfig, cpuinfo: Path = Path("/proc/cpuinfo"), machine: str = "") -> CheckResult:
    """Build the configured detector; an ONNX model is opened and one warm-up inference is run.

    A warning for an INT8 model with 8-bit weights (metadata `precision =
    int8` without `weight_bits = 7`) on an x86-64 CPU without VNNI, where
    ONNX Runtime's 8-bit convolutions can saturate and such a model finds
    fewer people (models/README.md). `models/train.py` writes 7-bit weights,
    which do not saturate, and says so in the metadata. `cpuinfo` and
    `machine` (default `platform.machine()`) say which CPU this is.

    The detail also says what one 640 x 480 frame costs the detector here
    (median of a few runs, ms), and what the other precision's copy beside
    the file costs (`footfall_head_fp32.onnx` beside `footfall_head_int8.onnx`
    and back): INT8 was the faster on a VNNI Xeon and no faster on an
    AVX2-only AMD EPYC (models/README.md, "Speed"), so the installer learns
    which file suits this device.
    """
    name = "model"
    detector = config.detector
    if detector is None:
        return CheckResult(name, "skip", f"source {config.source.type!r} needs no detector")
    if not isinstance(detector, OnnxDetectorConfig):
        build_detector(detector)
        return CheckResult(name, "ok", f"{detector.type} detector (no model file)")
    started = time.monotonic()
    try:
        onnx = build_detector(detector)
    except ModelError as exc:
        return CheckResult(
            name,
            "fail",
            str(exc),
            f"put the model file at {detector.model} or change detector.model; the shipped model is "
            "models/footfall_head_int8.onnx in the footfall source",
        )
    elapsed_ms = (time.monotonic() - started) * 1000
    layout = getattr(onnx, "layout", None)
    model_format = f", format {layout.format}" if layout is not None else ""
    detail = f"{detector.model}: loaded and warm-up inference ran in {elapsed_ms:.0f} ms{model_format}"
    detail += "; " + precision_timing(detector, onnx)
    metadata = getattr(getattr(onnx, "model", None), "metadata", {})
    eight_bit_weights = metadata.get("precision") == "int8" and metadata.get("weight_bits") != "7"
    if eight_bit_weights and _x86_without_vnni(cpuinfo, machine or platform.machine()):
        return CheckResult(
            name,
            "warn",
            f"{detail}; an INT8 model with 8-bit weights on an x86-64 CPU without VNNI ({cpuinfo} lists "
            "no vnni flag): ONNX Runtime's 8-bit convolutions can saturate here and miss heads that FP32 "
            "finds "
            "(models/README.md, 'INT8 with 8-bit weights depends on the CPU')",
            "set detector.model to an FP32 copy of the model, or quantise it with 7-bit weights "
            "(ONNX Runtime's reduce_range, as models/train.py does): the same accuracy on every CPU",
        )
    return CheckResult(name, "ok", detail)


def frame_ms(detector: Detector, repeats: int = 7) -> float:
    """Median milliseconds `detector` takes for one 640 x 480 frame of noise (after one unmeasured run)."""
    pixels = np.random.default_rng(0).integers(0, 256, size=(480, 640, 3), dtype=np.uint8)
    times_ms = []
    for index in range(repeats + 1):
        started = time.perf_counter()
        detector.detect(Frame(FrameMeta(index, index / 15, 640, 480), pixels))
        times_ms.append((time.perf_counter() - started) * 1000)
    return statistics.median(times_ms[1:])


def precision_twin(model: Path) -> Path | None:
    """The other precision's copy beside `model` (`*_int8.onnx` <-> `*_fp32.onnx`), if it exists."""
    for mine, other in (("_int8.onnx", "_fp32.onnx"), ("_fp32.onnx", "_int8.onnx")):
        if model.name.endswith(mine):
            twin = model.with_name(model.name[: -len(mine)] + other)
            return twin if twin.is_file() else None
    return None


def precision_timing(config: OnnxDetectorConfig, detector: Detector) -> str:
    """What a frame costs with the configured model, and with its other-precision twin if there is one."""
    mine_ms = frame_ms(detector)
    text = f"one 640x480 frame takes {mine_ms:.1f} ms here"
    twin = precision_twin(Path(config.model))
    if twin is None:
        return text
    try:
        twin_ms = frame_ms(build_detector(config.model_copy(update={"model": twin})))
    except ModelError as exc:
        return f"{text}; {twin.name} beside it does not open: {exc}"
    return f"{text}, {twin.name} beside it {twin_ms:.1f} ms{precision_advice(twin, mine_ms, twin_ms)}"


def precision_advice(twin: Path, mine_ms: float, twin_ms: float) -> str:
    """Which of the two files suits this CPU, when it is not the configured one ("" when it is).

    FP32 is a little more accurate, so it is the choice wherever INT8 is no faster; INT8 is
    worth it when it takes under 0.8 of FP32's time.
    """
    if twin.name.endswith("_fp32.onnx") and twin_ms <= mine_ms:
        return f": this CPU runs INT8 no faster than FP32, so {twin.name} (a little more accurate) suits it"
    if twin.name.endswith("_int8.onnx") and twin_ms < 0.8 * mine_ms:
        return f": INT8 is faster on this CPU, so {twin.name} suits it"
    return ""


def _x86_without_vnni(cpuinfo: Path, machine: str) -> bool:
    """Whether this is an x86-64 CPU whose `cpuinfo` flags name no VNNI (AVX-512 VNNI or AVX-VNNI).

    False when the file cannot be read (not Linux): no warning without knowing.
    """
    if machine.lower() not in ("x86_64", "amd64"):
        return False
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags = {
        f for line in text.splitlines() if line.startswith("flags") for f in line.split(":", 1)[-1].split()
    }
    return bool(flags) and not any("vnni" in flag for flag in flags)
