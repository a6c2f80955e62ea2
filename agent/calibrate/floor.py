"""``footfall calibrate floor``: the camera pose from floor marks measured with a tape.

The installer sticks four or more marks on the floor, measures their (x, y)
in metres from a corner of the shop, and reads each mark's pixel off the
calibration preview. The pose comes from ``cv2.solvePnP`` (IPPE, made for
points on a plane, then Levenberg-Marquardt refinement) and is checked by
projecting each mark's pixel back onto the floor: the distance to where the
tape says it is, in centimetres, is what the installer can act on.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from agent.geometry.camera import CameraModel
from agent.geometry.errors import CalibrationError
from agent.geometry.lens import Lens
from agent.geometry.pose import Pose

MIN_MARKS = 4
#: Refuse a pose when any mark lands farther than this from its measured position (cm).
DEFAULT_MAX_ERROR_CM = 10.0
# Marks whose spread across their best-fit line is below this fraction of the
# spread along it are "on one line": the pose would be free to rotate about it.
_MIN_SPREAD_RATIO = 0.05
# Two marks closer than this are the same mark typed twice.
_MIN_MARK_DISTANCE_M = 0.05
MARKS_HEADER = ("name", "u_px", "v_px", "x_m", "y_m")


@dataclass(frozen=True)
class FloorMark:
    """A mark on the floor: its pixel in the image and its measured floor position.

    Attributes:
        name: the installer's label (e.g. "A", "door left").
        pixel: (u, v) in pixels from the top-left of the image.
        floor_m: (x, y) in metres on the floor.
    """

    name: str
    pixel: tuple[float, float]
    floor_m: tuple[float, float]


@dataclass(frozen=True)
class FloorFit:
    """A solved pose and how well each mark agrees with it.

    Attributes:
        model: the lens with the solved pose.
        marks: the marks, in input order.
        errors_cm: distance on the floor between each mark's pixel, projected
            to the floor, and its measured position, centimetres.
        reprojection_px: distance in the image between each mark's measured
            position, projected into the image, and its pixel, pixels.
    """

    model: CameraModel
    marks: tuple[FloorMark, ...]
    errors_cm: tuple[float, ...]
    reprojection_px: tuple[float, ...]

    @property
    def rms_cm(self) -> float:
        """RMS of ``errors_cm``."""
        return float(np.sqrt(np.mean(np.square(self.errors_cm))))

    @property
    def max_cm(self) -> float:
        """Largest of ``errors_cm``."""
        return float(max(self.errors_cm))


def read_marks(path: Path) -> list[FloorMark]:
    """Read floor marks from a CSV file with the header ``name,u_px,v_px,x_m,y_m``.

    Blank lines and lines starting with ``#`` are ignored.

    Raises:
        CalibrationError: the file cannot be read, the header is wrong, or a
            row has a missing or non-numeric value (naming the file, line and column).
    """
    where = f"marks file {str(path)!r}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CalibrationError(f"{where} cannot be read: {error}") from None
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise CalibrationError(
            f"{where} is empty, expected a header {','.join(MARKS_HEADER)} and one row per mark"
        )
    header_number, header_line = lines[0]
    header = tuple(cell.strip() for cell in next(csv.reader([header_line])))
    if header != MARKS_HEADER:
        raise CalibrationError(
            f"{where} line {header_number}: header is {','.join(header)!r}, "
            f"expected {','.join(MARKS_HEADER)!r}"
        )
    marks = []
    for number, line in lines[1:]:
        cells = [cell.strip() for cell in next(csv.reader([line]))]
        if len(cells) != len(MARKS_HEADER):
            raise CalibrationError(
                f"{where} line {number}: {len(cells)} values, "
                f"expected {len(MARKS_HEADER)} ({','.join(MARKS_HEADER)})"
            )
        values = []
        for column, cell in zip(MARKS_HEADER[1:], cells[1:], strict=True):
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise CalibrationError(
                    f"{where} line {number}: column {column} is {cell!r}, expected a number"
                )
            values.append(value)
        marks.append(FloorMark(cells[0] or f"line {number}", (values[0], values[1]), (values[2], values[3])))
    return marks


def fit_floor_pose(
    lens: Lens, marks: list[FloorMark], max_error_cm: float = DEFAULT_MAX_ERROR_CM
) -> FloorFit:
    """Solve the camera pose from floor marks and check every mark against it.

    Args:
        lens: the calibrated lens (from ``footfall calibrate lens`` or a known lens).
        marks: four or more marks, not all on one line, spread over the view.
        max_error_cm: refuse when any mark's floor error is above this, centimetres.

    Raises:
        CalibrationError: fewer than four marks, two marks at the same place,
            marks on one line (on the floor or in the image), a pixel outside
            the image or the lens' field, no pose with the camera above the
            floor, or a mark farther than ``max_error_cm`` from its measurement.
            The message names the marks and the figures.
    """
    if len(marks) < MIN_MARKS:
        raise CalibrationError(
            f"floor calibration needs at least {MIN_MARKS} marks, got {len(marks)}; "
            "add marks spread over the area the camera sees"
        )
    pixels = np.array([m.pixel for m in marks], dtype=np.float64)
    floor = np.array([m.floor_m for m in marks], dtype=np.float64)
    _check_marks(lens, marks, pixels, floor)
    rays = lens.pixels_to_rays(pixels)
    bad = [
        m.name for m, ray in zip(marks, rays, strict=True) if not (np.isfinite(ray).all() and ray[2] > 1e-6)
    ]
    if bad:
        raise CalibrationError(
            f"marks {', '.join(bad)}: their pixels are outside what the lens model can see"
        )
    model = CameraModel(lens, _solve_pose(rays, floor, marks))
    errors_cm = np.linalg.norm(model.pixels_to_floor(pixels) - floor, axis=1) * 100.0
    errors_cm = np.where(np.isfinite(errors_cm), errors_cm, np.inf)
    reprojection = np.linalg.norm(model.floor_to_pixels(floor) - pixels, axis=1)
    fit = FloorFit(
        model, tuple(marks), tuple(float(e) for e in errors_cm), tuple(float(e) for e in reprojection)
    )
    too_far = [(m.name, e) for m, e in zip(marks, errors_cm, strict=True) if not e <= max_error_cm]
    if too_far:
        listed = ", ".join(f"{name} {error:.1f} cm" for name, error in sorted(too_far, key=lambda p: -p[1]))
        raise CalibrationError(
            f"floor calibration refused: marks farther than {max_error_cm:g} cm from their measured "
            f"positions: {listed} (RMS of all marks {fit.rms_cm:.1f} cm); re-measure those marks "
            "or check their pixels"
        )
    return fit


def _check_marks(
    lens: Lens, marks: list[FloorMark], pixels: npt.NDArray[np.float64], floor: npt.NDArray[np.float64]
) -> None:
    outside = [
        f"{m.name} ({m.pixel[0]:g}, {m.pixel[1]:g})"
        for m in marks
        if not (0 <= m.pixel[0] < lens.width_px and 0 <= m.pixel[1] < lens.height_px)
    ]
    if outside:
        raise CalibrationError(
            f"marks {', '.join(outside)}: pixel outside the {lens.width_px}x{lens.height_px} image"
        )
    for i in range(len(marks)):
        for j in range(i + 1, len(marks)):
            distance = float(np.linalg.norm(floor[i] - floor[j]))
            if distance < _MIN_MARK_DISTANCE_M:
                raise CalibrationError(
                    f"marks {marks[i].name} and {marks[j].name} are {distance * 100:.1f} cm apart "
                    "on the floor, "
                    f"expected distinct marks at least {_MIN_MARK_DISTANCE_M * 100:.0f} cm apart"
                )
    for label, points, unit in (("floor positions", floor, "m"), ("pixels", pixels, "px")):
        along, across = _spread(points)
        if across < _MIN_SPREAD_RATIO * along:
            raise CalibrationError(
                f"the marks' {label} are (nearly) on one line: they spread {along:.2f} {unit} along it "
                f"but only {across:.2f} {unit} across it (need at least {_MIN_SPREAD_RATIO:.0%}); "
                "place at least one mark well away from the line"
            )


def _spread(points: npt.NDArray[np.float64]) -> tuple[float, float]:
    """RMS spread of points along and across their best-fit line."""
    centred = points - points.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    scale = math.sqrt(len(points))
    return float(singular[0] / scale), float(singular[1] / scale)


def _solve_pose(
    rays: npt.NDArray[np.float64], floor: npt.NDArray[np.float64], marks: list[FloorMark]
) -> Pose:
    """IPPE on undistorted, normalised image points, keeping the solution with the camera above the floor.

    Working in normalised coordinates (identity camera matrix, no distortion)
    lets pinhole and fisheye lenses share one solver.
    """
    normalised = (rays[:, :2] / rays[:, 2:3]).reshape(-1, 1, 2)
    objects = np.column_stack([floor, np.zeros(len(floor))]).reshape(-1, 1, 3)
    identity = np.eye(3)
    try:
        count, rvecs, tvecs, _ = cv2.solvePnPGeneric(
            objects, normalised, identity, None, flags=cv2.SOLVEPNP_IPPE
        )
    except cv2.error as error:
        detail = str(error).strip().splitlines()[-1]
        raise CalibrationError(f"solvePnP failed on {len(marks)} marks: {detail}") from None
    candidates = []
    for rvec, tvec in zip(rvecs[:count], tvecs[:count], strict=True):
        rvec, tvec = cv2.solvePnPRefineLM(objects, normalised, identity, None, rvec.copy(), tvec.copy())
        pose = Pose.from_rvec_tvec(rvec, tvec)
        projected, _ = cv2.projectPoints(objects, rvec, tvec, identity, None)
        residual = float(np.sum(np.square(projected.reshape(-1, 2) - normalised.reshape(-1, 2))))
        if pose.mounting_height_m > 0:
            candidates.append((residual, pose))
    if not candidates:
        raise CalibrationError(
            f"no camera pose above the floor fits the {len(marks)} marks; check that x_m/y_m and "
            "u_px/v_px belong to the same marks, and that seen from above, y is 90 degrees "
            "counter-clockwise from x (x to the right, y away from you)"
        )
    return min(candidates, key=lambda candidate: candidate[0])[1]
