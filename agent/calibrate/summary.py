"""``footfall calibrate show``: the figures an installer checks a calibration by.

Mounting height, tilt, the floor area the image covers and the ground
resolution (how many centimetres of floor one pixel spans) at the image
centre and at its worst point on the image edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agent.geometry.camera import CameraModel
from agent.geometry.regions import polygon_area_m2

# Samples along each side of the image border when tracing its footprint.
_BORDER_SAMPLES = 64


@dataclass(frozen=True)
class Coverage:
    """The floor seen by the whole image at one height.

    Attributes:
        height_m: plane height, metres (0 = floor).
        area_m2: area of the image footprint on the plane, m^2; None when part
            of the image border does not reach the plane (above the horizon,
            or outside a fisheye's image circle), so the area is unbounded.
        bounds_m: (x_min, y_min, x_max, y_max) of the footprint, metres; None as ``area_m2``.
    """

    height_m: float
    area_m2: float | None
    bounds_m: tuple[float, float, float, float] | None


@dataclass(frozen=True)
class CalibrationSummary:
    """What ``calibrate show`` prints.

    Attributes:
        mounting_height_m: camera height above the floor, metres.
        position_xy_m: camera (x, y) on the floor, metres.
        tilt_deg: optical axis from straight down, degrees.
        floor: coverage at the floor (z = 0).
        heads: coverage at head height.
        centre_cm_per_px: floor centimetres spanned by one pixel at the image centre.
        edge_cm_per_px: the largest such figure over the edge midpoints and
            corners of the image, or None if some of them do not see the floor.
    """

    mounting_height_m: float
    position_xy_m: tuple[float, float]
    tilt_deg: float
    floor: Coverage
    heads: Coverage
    centre_cm_per_px: float
    edge_cm_per_px: float | None


def summarise(model: CameraModel, head_height_m: float = 1.6) -> CalibrationSummary:
    """Compute the installer's check figures for a calibrated camera."""
    width, height = model.width_px, model.height_px
    centre = np.array([[width / 2.0, height / 2.0]])
    inset = 0.5
    xs, ys = (inset, width / 2.0, width - inset), (inset, height / 2.0, height - inset)
    edge_points = np.array([(x, y) for x in xs for y in ys if (x, y) != (width / 2.0, height / 2.0)])
    edge = cm_per_pixel(model, edge_points)
    return CalibrationSummary(
        mounting_height_m=model.pose.mounting_height_m,
        position_xy_m=(model.position_m[0], model.position_m[1]),
        tilt_deg=model.pose.tilt_deg,
        floor=coverage(model, 0.0),
        heads=coverage(model, head_height_m),
        centre_cm_per_px=float(cm_per_pixel(model, centre)[0]),
        edge_cm_per_px=float(edge.max()) if np.isfinite(edge).all() else None,
    )


def cm_per_pixel(
    model: CameraModel, pixels: npt.NDArray[np.float64], height_m: float = 0.0
) -> npt.NDArray[np.float64]:
    """Floor centimetres spanned by one pixel at each of ``pixels`` (N, 2): the larger of its two sides.

    NaN where the pixel does not see the plane at ``height_m``.
    """
    half = 0.5
    offsets = {"u": np.array([half, 0.0]), "v": np.array([0.0, half])}
    sides = []
    for step in offsets.values():
        ahead = model.pixels_to_floor(pixels + step, height_m)
        behind = model.pixels_to_floor(pixels - step, height_m)
        sides.append(np.linalg.norm(ahead - behind, axis=1))
    result: npt.NDArray[np.float64] = np.maximum(sides[0], sides[1]) * 100.0
    return result


def coverage(model: CameraModel, height_m: float) -> Coverage:
    """The footprint of the image border on the plane at ``height_m`` metres."""
    width, height = model.width_px, model.height_px
    t = np.linspace(0.0, 1.0, _BORDER_SAMPLES, endpoint=False)
    left, right, top, bottom = 0.0, float(width), 0.0, float(height)
    border = np.concatenate(
        [
            np.column_stack([left + t * (right - left), np.full_like(t, top)]),
            np.column_stack([np.full_like(t, right), top + t * (bottom - top)]),
            np.column_stack([right - t * (right - left), np.full_like(t, bottom)]),
            np.column_stack([np.full_like(t, left), bottom - t * (bottom - top)]),
        ]
    )
    footprint = model.pixels_to_floor(border, height_m)
    if not np.isfinite(footprint).all():
        return Coverage(height_m, None, None)
    low, high = footprint.min(axis=0), footprint.max(axis=0)
    bounds = (float(low[0]), float(low[1]), float(high[0]), float(high[1]))
    return Coverage(height_m, abs(polygon_area_m2(footprint)), bounds)


def format_summary(summary: CalibrationSummary) -> list[str]:
    """The summary as lines of text for the terminal."""
    x_m, y_m = summary.position_xy_m
    lines = [
        f"mounting height:   {summary.mounting_height_m:.2f} m  (camera at x {x_m:.2f} m, y {y_m:.2f} m)",
        f"tilt:              {summary.tilt_deg:.1f} degrees from straight down",
    ]
    for label, cover in (("floor", summary.floor), (f"{summary.heads.height_m:g} m", summary.heads)):
        if cover.area_m2 is None or cover.bounds_m is None:
            text = (
                "unbounded: part of the image does not see this plane (above the horizon or outside the lens)"
            )
        else:
            x0, y0, x1, y1 = cover.bounds_m
            text = f"{cover.area_m2:.1f} m^2  (x {x0:.2f} .. {x1:.2f} m, y {y0:.2f} .. {y1:.2f} m)"
        lines.append(f"{'area at ' + label + ':':<19}{text}")
    edge = (
        f"{summary.edge_cm_per_px:.2f} cm/px"
        if summary.edge_cm_per_px is not None and math.isfinite(summary.edge_cm_per_px)
        else "n/a (the edge does not see the floor)"
    )
    lines.append(f"ground resolution: centre {summary.centre_cm_per_px:.2f} cm/px, edge (worst) {edge}")
    return lines
