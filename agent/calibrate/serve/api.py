"""The page's JSON endpoints: state, live tracks and counts, marks, layout, save, tally.

Each handler takes the decoded JSON body and returns a JSON-ready dict, or
raises `ApiError` with the HTTP status and a message that names the field.
All geometry happens here, on the device: the page sends pixels or metres
and draws what it gets back.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from agent.analytics.config import LineConfig, ZoneConfig
from agent.calibrate.floor import DEFAULT_MAX_ERROR_CM, FloorFit, FloorMark, fit_floor_pose
from agent.calibrate.serve.config_writer import save_layout
from agent.calibrate.serve.live import LiveSession
from agent.calibrate.serve.overlay import MAX_RANGE_M, footprint_m, grid_runs
from agent.calibrate.serve.tally import Tally, write_record
from agent.config import AgentConfig
from agent.errors import ConfigError
from agent.geometry.camera import CameraModel
from agent.geometry.errors import CalibrationError

Json = dict[str, Any]
# Grid spacing drawn over the image after a calibration, metres.
GRID_SPACING_M = 0.5


class ApiError(Exception):
    """A request the page should not have sent: ``status`` (HTTP) and a message naming the field."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ApiError(400, f"{where} is {value!r}, expected a finite number")
    return float(value)


def _list(body: Json, key: str) -> list[Any]:
    value = body.get(key)
    if not isinstance(value, list):
        raise ApiError(400, f"{key} is {value!r}, expected a list")
    return value


def _validation_message(where: str, error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    key = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}{'.' + key if key else ''}: {message} (got {first.get('input')!r})"


class CalibrationApi:
    """The endpoints of one page session over a `LiveSession` and the config file it came from."""

    def __init__(self, session: LiveSession, config: AgentConfig, config_path: Path) -> None:
        self._session = session
        self._config_path = config_path
        self._device = f"{config.device.site}/{config.device.id}"
        self._lock = threading.Lock()
        self._fit: FloorFit | None = None  # the pose solved on this page, if any
        self._pose_unsaved = False
        self._unsaved = False
        self._tally: Tally | None = None

    # --- reading ----------------------------------------------------------------
    def state(self, _body: Json | None = None) -> Json:
        """What the page draws statically: image size, calibration, grid, lines, zones, plan extent."""
        session = self._session
        camera = session.camera
        size = session.image_size
        lines = [line.model_dump(mode="json") for line in session.lines]
        zones = [zone.model_dump(mode="json") for zone in session.zones]
        with self._lock:
            fit, unsaved = self._fit, self._unsaved
        return {
            "device": self._device,
            "config": self._config_path.name,
            "image": None if size is None else {"width": size[0], "height": size[1]},
            "calibration": None if camera is None else self._describe(camera, fit),
            "grid_px": [] if camera is None else grid_runs(camera, GRID_SPACING_M),
            "lines": lines,
            "zones": zones,
            "plan": self._plan(camera),
            "unsaved": unsaved,
            "error": session.error,
        }

    def live(self, _body: Json | None = None) -> Json:
        """Track tails (metres, no ids), detection count, counts per line, the tally."""
        view = self._session.latest(timeout_s=0.0)
        tails = [] if view is None else [np.round(tail, 2).tolist() for tail in view.tails_m]
        counts = self._session.counts()
        with self._lock:
            tally = self._tally_summary(counts)
        return {
            "frame": None if view is None else view.frame.meta.index,
            "detections": 0 if view is None else len(view.points_px),
            "tracks_m": tails,
            "counts": counts,
            "tally": tally,
            "error": self._session.error,
        }

    @staticmethod
    def _describe(camera: CameraModel, fit: FloorFit | None) -> Json:
        pose = camera.pose
        return {
            "height_m": round(pose.mounting_height_m, 3),
            "tilt_deg": round(pose.tilt_deg, 2),
            "position_m": [round(float(v), 3) for v in camera.position_m],
            "solved_here": fit is not None,
            "rms_cm": None if fit is None else round(fit.rms_cm, 2),
            "max_cm": None if fit is None else round(fit.max_cm, 2),
        }

    def _plan(self, camera: CameraModel | None) -> Json:
        points: list[tuple[float, float]] = []
        footprint = [] if camera is None else footprint_m(camera)
        points += footprint
        for line in self._session.lines:
            points += [line.start, line.end]
        for zone in self._session.zones:
            points += list(zone.polygon)
        if camera is not None:
            points.append((camera.position_m[0], camera.position_m[1]))
        if not points:
            points = [(-2.0, -2.0), (2.0, 2.0)]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        bounds = [min(xs) - 0.5, min(ys) - 0.5, max(xs) + 0.5, max(ys) + 0.5]
        return {
            "footprint_m": footprint,
            "camera_m": None if camera is None else [round(float(v), 3) for v in camera.position_m[:2]],
            "bounds_m": [round(float(b), 2) for b in bounds],
        }

    # --- geometry ---------------------------------------------------------------
    def floor_points(self, body: Json) -> Json:
        """``{"pixels": [[u, v], ...]}`` -> ``{"points_m": [[x, y] | null, ...]}`` on the floor (z = 0)."""
        camera = self._session.camera
        if camera is None:
            raise ApiError(409, "no calibration yet: solve the pose from floor marks first")
        pixels = [
            (_number(p[0], f"pixels[{i}][0]"), _number(p[1], f"pixels[{i}][1]"))
            if isinstance(p, list) and len(p) == 2
            else (_raise(f"pixels[{i}] is {p!r}, expected [u, v]"))
            for i, p in enumerate(_list(body, "pixels"))
        ]
        if not pixels:
            return {"points_m": []}
        floor = camera.pixels_to_floor(np.asarray(pixels, dtype=np.float64))
        centre = np.asarray(camera.position_m[:2])
        points: list[list[float] | None] = []
        for point in floor:
            reachable = np.isfinite(point).all() and float(np.hypot(*(point - centre))) <= MAX_RANGE_M
            points.append([round(float(point[0]), 3), round(float(point[1]), 3)] if reachable else None)
        return {"points_m": points}

    def calibrate(self, body: Json) -> Json:
        """Solve the pose from marks ``[{"name", "u", "v", "x", "y"}]`` (pixels, metres); errors per mark in cm.

        A fit whose worst mark is within `DEFAULT_MAX_ERROR_CM` is used at once
        (live view, lines) and saved with the next save; a worse one is shown,
        not used, so the installer can see which click or measurement is off.
        """
        marks = []
        for i, raw in enumerate(_list(body, "marks")):
            if not isinstance(raw, dict):
                raise ApiError(400, f"marks[{i}] is {raw!r}, expected an object")
            name = str(raw.get("name") or f"mark {i + 1}")
            pixel = (_number(raw.get("u"), f"mark {name}: u"), _number(raw.get("v"), f"mark {name}: v"))
            floor = (_number(raw.get("x"), f"mark {name}: x"), _number(raw.get("y"), f"mark {name}: y"))
            marks.append(FloorMark(name, pixel, floor))
        try:
            lens = self._session.frame_lens()
            fit = fit_floor_pose(lens, marks, max_error_cm=math.inf)
        except (CalibrationError, ValueError) as error:
            raise ApiError(400, str(error)) from None
        accepted = fit.max_cm <= DEFAULT_MAX_ERROR_CM
        projected = fit.model.floor_to_pixels(np.array([m.floor_m for m in marks]))
        result: Json = {
            "accepted": accepted,
            "errors_cm": [round(e, 2) if math.isfinite(e) else None for e in fit.errors_cm],
            "projected_px": [
                [round(float(p[0]), 1), round(float(p[1]), 1)] if np.isfinite(p).all() else None
                for p in projected
            ],
            "rms_cm": round(fit.rms_cm, 2) if math.isfinite(fit.rms_cm) else None,
            "max_cm": round(fit.max_cm, 2) if math.isfinite(fit.max_cm) else None,
            "height_m": round(fit.model.pose.mounting_height_m, 3),
            "tilt_deg": round(fit.model.pose.tilt_deg, 2),
            "grid_px": grid_runs(fit.model, GRID_SPACING_M),
        }
        if accepted:
            self._session.set_camera(fit.model)
            with self._lock:
                self._fit, self._pose_unsaved, self._unsaved, self._tally = fit, True, True, None
            result["message"] = (
                f"pose solved: height {fit.model.pose.mounting_height_m:.2f} m, tilt "
                f"{fit.model.pose.tilt_deg:.1f}°, worst mark {fit.max_cm:.1f} cm; not saved yet"
            )
        else:
            worst = sorted(zip(fit.errors_cm, marks, strict=True), key=lambda pair: -pair[0])[:2]
            listed = ", ".join(f"{m.name} {e:.1f} cm" for e, m in worst)
            result["message"] = (
                f"not used: marks farther than {DEFAULT_MAX_ERROR_CM:g} cm from their measured positions "
                f"({listed}); check those clicks or measurements"
            )
        return result

    # --- lines and zones --------------------------------------------------------
    def layout(self, body: Json) -> Json:
        """Replace the lines and zones (metres) with ``{"lines": [...], "zones": [...]}``; returns `state`."""
        lines, zones = [], []
        for i, raw in enumerate(_list(body, "lines")):
            try:
                lines.append(LineConfig.model_validate(raw))
            except ValidationError as error:
                raise ApiError(400, _validation_message(f"lines[{i}]", error)) from None
        for i, raw in enumerate(_list(body, "zones")):
            try:
                zones.append(ZoneConfig.model_validate(raw))
            except ValidationError as error:
                raise ApiError(400, _validation_message(f"zones[{i}]", error)) from None
        for kind, items in (("line", lines), ("zone", zones)):
            names = [item.name for item in items]
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ApiError(400, f"{kind} names must be unique, repeated: {', '.join(repeated)}")
        self._session.set_layout(lines, zones)
        with self._lock:
            self._unsaved, self._tally = True, None
        return self.state()

    def save(self, _body: Json | None = None) -> Json:
        """Write the lines, zones and (if solved here) the calibration; checked as `footfall config check`."""
        with self._lock:
            fit = self._fit if self._pose_unsaved else None
        camera = self._session.camera
        to_save = None
        if fit is not None and camera is not None:
            to_save = camera.resized(self._session.lens.width_px, self._session.lens.height_px)
        try:
            saved = save_layout(
                self._config_path,
                list(self._session.lines),
                list(self._session.zones),
                to_save,
                None if fit is None else (fit.rms_cm, fit.max_cm),
            )
        except ConfigError as error:
            raise ApiError(400, "; ".join(error.problems)) from None
        except (CalibrationError, OSError) as error:
            raise ApiError(500, str(error)) from None
        with self._lock:
            self._unsaved = self._pose_unsaved = False
        lines, zones = len(self._session.lines), len(self._session.zones)
        message = f"saved {saved.config.name}: {lines} line(s), {zones} zone(s)"
        if saved.calibration is not None:
            message += f", calibration {saved.calibration.name}"
        return {
            "message": message + f"; previous config kept as {saved.config_backup.name}",
            "config": str(saved.config),
            "config_backup": str(saved.config_backup),
            "calibration": None if saved.calibration is None else str(saved.calibration),
            "calibration_backup": None if saved.calibration_backup is None else str(saved.calibration_backup),
        }

    # --- tally ------------------------------------------------------------------
    def tally_reset(self, body: Json) -> Json:
        """Start a tally on ``{"line": name}`` (default: the first line); the device counts restart too."""
        names = [line.name for line in self._session.lines]
        if not names:
            raise ApiError(409, "draw a counting line first")
        line = body.get("line") or names[0]
        if line not in names:
            raise ApiError(400, f"line is {line!r}, expected one of: {', '.join(names)}")
        self._session.reset_counts()
        with self._lock:
            self._tally = Tally(str(line), self._session.epoch)
        return self.live()

    def tally_press(self, body: Json) -> Json:
        """Count one person by hand: ``{"direction": "in" | "out"}``."""
        direction = body.get("direction")
        if direction not in ("in", "out"):
            raise ApiError(400, f"direction is {direction!r}, expected 'in' or 'out'")
        with self._lock:
            tally = self._tally
        if tally is None or tally.epoch != self._session.epoch:  # none yet, or the line moved
            names = [line.name for line in self._session.lines]
            self.tally_reset({"line": tally.line if tally is not None and tally.line in names else None})
        with self._lock:
            assert self._tally is not None
            self._tally.press(direction)
        return self.live()

    def validation(self, _body: Json | None = None) -> Json:
        """Save the tally as a validation record next to the config (counts only)."""
        counts = self._session.counts()
        with self._lock:
            summary = self._tally_summary(counts)
        if summary is None:
            raise ApiError(409, "no tally to save: press 'in' or 'out' as people cross the line")
        path = write_record(self._config_path, self._device, summary)
        return {"message": f"validation saved as {path.name}", "path": str(path)}

    def _tally_summary(self, counts: dict[str, dict[str, int]]) -> Json | None:
        """The tally with the device's counts on its line (called with the lock held)."""
        tally = self._tally
        if tally is None or tally.epoch != self._session.epoch or tally.line not in counts:
            return None
        device = counts[tally.line]
        return tally.summary(device["in"], device["out"])


def _raise(message: str) -> tuple[float, float]:
    raise ApiError(400, message)
