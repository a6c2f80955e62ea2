"""The calibration file: a versioned JSON document holding the lens and the camera pose.

Example (``version`` 1)::

    {
      "version": 1,
      "lens": {"kind": "pinhole", "image_width_px": 1280, "image_height_px": 960,
               "fx_px": 700.0, "fy_px": 700.0, "cx_px": 640.0, "cy_px": 480.0,
               "distortion": [-0.28, 0.07, 0.0, 0.0, 0.0]},
      "pose": {"rotation_rodrigues": [3.1416, 0.0, 0.0], "position_m": [0.0, 0.0, 3.0]},
      "quality": {"lens_rms_px": 0.21, "floor_rms_cm": 1.4, "floor_max_cm": 2.3},
      "created_by": "footfall calibrate floor"
    }

``pose`` may be ``null`` for a file written by ``footfall calibrate lens``
(lens known, not yet mounted); such a file loads with ``load_lens`` but not
with ``load_calibration``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agent.geometry.camera import CameraModel
from agent.geometry.errors import CalibrationError
from agent.geometry.lens import DISTORTION_LENGTH, Lens
from agent.geometry.pose import Pose

__all__ = [
    "CURRENT_VERSION",
    "CalibrationError",
    "CalibrationQuality",
    "load_calibration",
    "load_lens",
    "load_quality",
    "save_calibration",
]

CURRENT_VERSION = 1

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LensSection(_Strict):
    """The ``lens`` section: intrinsics in pixels and distortion coefficients."""

    kind: Literal["pinhole", "fisheye"]
    image_width_px: int = Field(gt=0)
    image_height_px: int = Field(gt=0)
    fx_px: PositiveFloat
    fy_px: PositiveFloat
    cx_px: FiniteFloat
    cy_px: FiniteFloat
    distortion: list[FiniteFloat]

    @model_validator(mode="after")
    def _distortion_length(self) -> LensSection:
        expected = DISTORTION_LENGTH[self.kind]
        if len(self.distortion) != expected:
            names = "k1, k2, p1, p2, k3" if self.kind == "pinhole" else "k1, k2, k3, k4"
            raise ValueError(
                f"distortion has {len(self.distortion)} coefficients, "
                f"a {self.kind} lens needs {expected} ({names})"
            )
        return self


class PoseSection(_Strict):
    """The ``pose`` section: floor-to-camera Rodrigues vector (radians) and camera position (metres)."""

    rotation_rodrigues: tuple[FiniteFloat, FiniteFloat, FiniteFloat]
    position_m: tuple[FiniteFloat, FiniteFloat, FiniteFloat]

    @field_validator("position_m")
    @classmethod
    def _above_floor(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        if value[2] <= 0:
            raise ValueError(f"camera height position_m[2] is {value[2]} m, should be above the floor (> 0)")
        return value


class CalibrationQuality(_Strict):
    """How good the calibration was when it was made (for ``calibrate show``)."""

    lens_rms_px: FiniteFloat | None = None
    floor_rms_cm: FiniteFloat | None = None
    floor_max_cm: FiniteFloat | None = None


class CalibrationDocument(_Strict):
    """The whole calibration file."""

    version: Literal[1]
    lens: LensSection
    pose: PoseSection | None = None
    quality: CalibrationQuality = CalibrationQuality()
    created_by: str = ""


def load_calibration(path: str | os.PathLike[str]) -> CameraModel:
    """Read a calibration file with a lens and a pose.

    Raises:
        CalibrationError: the file is missing, unreadable, not JSON, fails
            validation (the message names the file, the key path, the value
            and what was expected), or has no pose yet.
    """
    document = _read(Path(path))
    if document.pose is None:
        raise CalibrationError(
            f"calibration file {str(path)!r}: key 'pose' is null, expected the camera pose; "
            "run 'footfall calibrate floor' or 'footfall calibrate quick' with this lens first"
        )
    return CameraModel(_lens(document.lens), Pose(document.pose.rotation_rodrigues, document.pose.position_m))


def load_lens(path: str | os.PathLike[str]) -> Lens:
    """Read only the lens of a calibration file (the pose may be missing).

    Raises:
        CalibrationError: as ``load_calibration``, except that a missing pose is fine.
    """
    return _lens(_read(Path(path)).lens)


def load_quality(path: str | os.PathLike[str]) -> CalibrationQuality:
    """Read the quality figures recorded in a calibration file.

    Raises:
        CalibrationError: as ``load_lens``.
    """
    return _read(Path(path)).quality


def save_calibration(
    model: CameraModel | Lens,
    path: str | os.PathLike[str],
    *,
    quality: CalibrationQuality | None = None,
    created_by: str = "",
) -> None:
    """Write a camera model (or only a lens, with ``pose`` null) as a version-1 calibration file.

    The file is written to a temporary file next to ``path`` and renamed, so
    a power cut never leaves half a calibration behind.

    Raises:
        OSError: the file cannot be written.
    """
    lens = model.lens if isinstance(model, CameraModel) else model
    pose = model.pose if isinstance(model, CameraModel) else None
    document = CalibrationDocument(
        version=CURRENT_VERSION,
        lens=LensSection(
            kind=lens.kind,
            image_width_px=lens.width_px,
            image_height_px=lens.height_px,
            fx_px=lens.fx,
            fy_px=lens.fy,
            cx_px=lens.cx,
            cy_px=lens.cy,
            distortion=list(lens.distortion),
        ),
        pose=None
        if pose is None
        else PoseSection(rotation_rodrigues=pose.rotation_rodrigues, position_m=pose.position_m),
        quality=quality or CalibrationQuality(),
        created_by=created_by,
    )
    target = Path(path)
    text = json.dumps(document.model_dump(mode="json"), indent=2) + "\n"
    handle, temporary = tempfile.mkstemp(
        dir=target.parent or Path("."), prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read(path: Path) -> CalibrationDocument:
    where = f"calibration file {str(path)!r}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalibrationError(f"{where} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CalibrationError(f"{where} cannot be read: {error}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise CalibrationError(
            f"{where}: not valid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    if isinstance(raw, dict) and "version" in raw and raw["version"] != CURRENT_VERSION:
        raise CalibrationError(
            f"{where}: key 'version' is {raw['version']!r}, expected {CURRENT_VERSION} "
            "(this agent reads calibration files of version 1 only)"
        )
    try:
        return CalibrationDocument.model_validate(raw)
    except ValidationError as error:
        raise CalibrationError(f"{where}: {_describe(error)}") from None


def _describe(error: ValidationError) -> str:
    """The first problem of a validation error as "key 'a.b' is X: expected Y" (and a count)."""
    problems = error.errors(include_url=False)
    first = problems[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "missing":
        detail = f"key {key!r} is missing"
    elif first["type"] == "extra_forbidden":
        detail = f"key {key!r} is not allowed (misspelt?)"
    else:
        detail = f"key {key!r} is {_short(first.get('input'))}: {message}"
    more = len(problems) - 1
    return detail + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def _short(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _lens(section: LensSection) -> Lens:
    return Lens(
        width_px=section.image_width_px,
        height_px=section.image_height_px,
        fx=section.fx_px,
        fy=section.fy_px,
        cx=section.cx_px,
        cy=section.cy_px,
        kind=section.kind,
        distortion=tuple(section.distortion),
    )
