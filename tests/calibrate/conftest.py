"""Synthetic checkerboard photographs rendered through a known lens (tmp_path only)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from agent.calibrate.board import Checkerboard
from agent.geometry.lens import Lens

RenderViews = Callable[[Lens, Checkerboard, Path, int], list[Path]]

# Board poses (tilt about x, tilt about y, roll, distance in board widths,
# offset of the board centre in the image, as fractions of the image) chosen
# to cover the image and to tilt both ways, as the field guide asks installers to.
_VIEWS = [
    (0, 0, 0, 1.7, (0.0, 0.0)),
    (30, 0, 5, 2.0, (-0.4, -0.35)),
    (-30, 0, -5, 2.0, (0.4, 0.35)),
    (0, 30, 10, 2.0, (0.4, -0.35)),
    (0, -30, -10, 2.0, (-0.4, 0.35)),
    (20, 20, 0, 1.8, (0.3, 0.2)),
    (-20, 20, 15, 1.8, (-0.3, 0.2)),
    (20, -25, -15, 1.8, (0.3, -0.2)),
    (-25, -20, 5, 1.8, (-0.3, -0.2)),
    (10, -10, 30, 1.5, (0.0, 0.0)),
]


def pixel_rays(lens: Lens, supersample: int) -> np.ndarray:
    """Camera-frame rays of ``supersample`` x ``supersample`` points per pixel, shape (S*S, H*W, 3)."""
    offsets = (np.arange(supersample) + 0.5) / supersample - 0.5
    u, v = np.meshgrid(np.arange(lens.width_px, dtype=float), np.arange(lens.height_px, dtype=float))
    return np.stack(
        [
            lens.pixels_to_rays(np.column_stack([(u + du).ravel(), (v + dv).ravel()]))
            for du in offsets
            for dv in offsets
        ]
    )


def render_view(lens: Lens, board: Checkerboard, view: tuple, rays: np.ndarray) -> np.ndarray:
    """An 8-bit grey image of ``board`` in front of ``lens``, anti-aliased over the sub-pixel ``rays``."""
    tilt_x, tilt_y, roll, distance_boards, (off_x, off_y) = view
    width_m = (board.inner_cols + 1) * board.square_mm / 1000.0
    height_m = (board.inner_rows + 1) * board.square_mm / 1000.0
    rotation = (
        _rot("x", math.radians(tilt_x)) @ _rot("y", math.radians(tilt_y)) @ _rot("z", math.radians(roll))
    )
    # distance at which the board spans 1/distance_boards of the image width (ideal lens)
    half_width_norm = min(lens.width_px / 2 / lens.fx, 1.5)
    distance = distance_boards * width_m / (2 * half_width_norm)
    centre_cam = np.array([off_x * half_width_norm * distance, off_y * half_width_norm * distance, distance])
    origin = -rotation.T @ centre_cam
    board_rays = rays @ rotation  # camera -> board frame: R^T d, for each row
    with np.errstate(invalid="ignore", divide="ignore"):
        s = -origin[2] / board_rays[..., 2]
        x_mm = (origin[0] + s * board_rays[..., 0] + width_m / 2) * 1000.0
        y_mm = (origin[1] + s * board_rays[..., 1] + height_m / 2) * 1000.0
    dark = (
        np.isfinite(s) & (s > 0) & board.is_dark(np.nan_to_num(x_mm, nan=-1e9), np.nan_to_num(y_mm, nan=-1e9))
    )
    value = np.where(dark, 30.0, 225.0).mean(axis=0)
    return value.reshape(lens.height_px, lens.width_px).astype(np.uint8)


def _rot(axis: str, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == "y":
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def render_board_photos(lens: Lens, board: Checkerboard, folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    rays = pixel_rays(lens, supersample=2)
    for index, view in enumerate(_VIEWS[:count]):
        path = folder / f"view_{index:02d}.png"
        cv2.imwrite(str(path), render_view(lens, board, view, rays))
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def render_views() -> RenderViews:
    """Render ``count`` synthetic board photographs through ``lens`` into ``folder``."""
    return render_board_photos
