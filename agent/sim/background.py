"""The empty store as the ceiling camera sees it: floor texture, walls, shelves and their shadows, light.

Built once per scenario and image size (every pixel's floor point comes
from the camera model, so pinhole and fisheye views are drawn the same
way), then reused for every frame. Lighting is a per-pixel gain map per
light bank, so switching a bank is one multiply-add, not a redraw.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from agent.geometry.camera import CameraModel
from agent.sim.store import Box, StoreLayout

Image = npt.NDArray[np.uint8]
GainMap = npt.NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class Background:
    """The unlit empty store (H, W, 3) uint8, one gain map (H, W) float32 per light bank, and the floor map."""

    image: Image
    bank_gains: tuple[GainMap, ...]
    floor_xy_m: npt.NDArray[np.float32]  # (H, W, 2) floor point of each pixel, NaN where none


def _hash_noise(ix: npt.NDArray[np.int64], iy: npt.NDArray[np.int64], salt: int) -> npt.NDArray[np.float32]:
    """A fixed pseudo-random value in [0, 1) per integer cell (deterministic, no global state)."""
    h = (ix * 73856093) ^ (iy * 19349663) ^ (salt * 83492791)
    h = (h ^ (h >> 13)) * 1274126177
    return ((h & 0xFFFF) / 65536.0).astype(np.float32)


def _floor_texture(layout: StoreLayout, xy: npt.NDArray[np.float32]) -> Image:
    """Floor colour per pixel from its floor position: tiles with grout, wood planks or concrete."""
    valid = np.isfinite(xy).all(axis=2)
    x = np.where(valid, xy[..., 0], 0.0)
    y = np.where(valid, xy[..., 1], 0.0)
    base = np.array(layout.floor_bgr, dtype=np.float32)
    if layout.floor == "tiles":
        tile = 0.6
        ix, iy = np.floor(x / tile).astype(np.int64), np.floor(y / tile).astype(np.int64)
        shade = 0.93 + 0.1 * _hash_noise(ix, iy, 1)
        fx, fy = x / tile - ix, y / tile - iy
        grout = (np.minimum(fx, 1 - fx) < 0.012) | (np.minimum(fy, 1 - fy) < 0.012)
        shade = np.where(grout, 0.72, shade)
    elif layout.floor == "wood":
        plank_w, plank_l = 0.18, 1.2
        iy = np.floor(y / plank_w).astype(np.int64)
        ix = np.floor((x + 0.37 * iy) / plank_l).astype(np.int64)
        grain = 0.04 * np.sin(x * 37.0 + 5.0 * _hash_noise(ix, iy, 2))
        shade = 0.85 + 0.22 * _hash_noise(ix, iy, 3) + grain
        fy = y / plank_w - iy
        shade = np.where(np.minimum(fy, 1 - fy) < 0.04, 0.6, shade)
    else:
        ix, iy = np.floor(x / 0.05).astype(np.int64), np.floor(y / 0.05).astype(np.int64)
        shade = 0.95 + 0.08 * _hash_noise(ix, iy, 4) + 0.03 * np.sin(x * 1.7) * np.cos(y * 2.3)
    if layout.outside_y_m is not None:
        street = y < layout.outside_y_m
        ix, iy = np.floor(x / 0.3).astype(np.int64), np.floor(y / 0.3).astype(np.int64)
        paving = 0.8 + 0.12 * _hash_noise(ix, iy, 5)
        shade = np.where(street, paving, shade)
        colour = np.where(street[..., None], np.array((120, 125, 128), np.float32), base)
    else:
        colour = np.broadcast_to(base, (*xy.shape[:2], 3))
    image = np.clip(colour * shade[..., None], 0, 255).astype(np.uint8)
    image[~valid] = (20, 20, 20)
    return image


def _box_corners(box: Box, grow_m: float = 0.0) -> npt.NDArray[np.float64]:
    """The four floor corners (4, 2) of a box's footprint, grown by `grow_m` on every side."""
    (x0, y0), (x1, y1) = box.min_xy_m, box.max_xy_m
    x0, y0, x1, y1 = x0 - grow_m, y0 - grow_m, x1 + grow_m, y1 + grow_m
    return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], dtype=np.float64)


def _polygon(
    camera: CameraModel, points_m: npt.NDArray[np.float64], z_m: float
) -> npt.NDArray[np.int32] | None:
    pixels = camera.floor_to_pixels(points_m, z_m)
    if not np.isfinite(pixels).all():
        return None
    return np.round(pixels * 16).astype(np.int32)


def _draw_box(image: Image, camera: CameraModel, box: Box, rng: np.random.Generator) -> None:
    """A box seen from above: its side faces (products on shelves), then its top."""
    corners = _box_corners(box)
    cam_xy = np.array(camera.position_m[:2])
    faces = [(corners[i], corners[(i + 1) % 4]) for i in range(4)]
    # Far faces first; a face is drawn in horizontal bands (shelf levels) of product colours.
    faces.sort(key=lambda f: -float(np.hypot(*((f[0] + f[1]) / 2 - cam_xy))))
    levels = np.linspace(0.0, box.height_m, 6 if box.stocked else 2)
    for a, b in faces:
        for z0, z1 in itertools.pairwise(levels):
            quad_bottom = _polygon(camera, np.array([a, b]), float(z0))
            quad_top = _polygon(camera, np.array([b, a]), float(z1))
            if quad_bottom is None or quad_top is None:
                continue
            stocked = tuple(int(c) for c in rng.integers(40, 220, size=3)) if box.stocked else None
            colour = stocked or box.side_bgr
            cv2.fillPoly(image, [np.vstack([quad_bottom, quad_top])], colour, cv2.LINE_AA, shift=4)
    top = _polygon(camera, corners, box.height_m)
    if top is not None:
        cv2.fillPoly(image, [top], box.top_bgr, cv2.LINE_AA, shift=4)
        cv2.polylines(image, [top], True, tuple(int(c * 0.7) for c in box.top_bgr), 1, cv2.LINE_AA, shift=4)


def _wall_boxes(layout: StoreLayout) -> list[Box]:
    """Walls as low boxes 0.2 m thick (the base of a shop front or partition; taller ones would hide the floor)."""
    boxes = []
    for k, ((x0, y0), (x1, y1)) in enumerate(layout.walls):
        lo = (min(x0, x1) - 0.1, min(y0, y1) - 0.1)
        hi = (max(x0, x1) + 0.1, max(y0, y1) + 0.1)
        boxes.append(Box(f"wall{k}", lo, hi, 0.5, (95, 95, 100), (70, 70, 75), stocked=False))
    return boxes


def build_background(layout: StoreLayout, camera: CameraModel, ambient: float, seed: int = 0) -> Background:
    """Render the empty store for `camera` (floor, mats, shadows, walls, boxes) and its light-bank gain maps."""
    h, w = camera.height_px, camera.width_px
    us, vs = np.meshgrid(np.arange(w, dtype=np.float64) + 0.5, np.arange(h, dtype=np.float64) + 0.5)
    xy = (
        camera.pixels_to_floor(np.column_stack([us.ravel(), vs.ravel()]), 0.0)
        .reshape(h, w, 2)
        .astype(np.float32)
    )
    image = _floor_texture(layout, xy)
    for mat in layout.mats:
        polygon = _polygon(camera, _box_corners(mat), 0.0)
        if polygon is not None:
            cv2.fillPoly(image, [polygon], mat.top_bgr, cv2.LINE_AA, shift=4)
    # Soft shadows: every box darkens the floor around its foot.
    shadow = np.zeros((h, w), np.float32)
    for box in layout.boxes:
        polygon = _polygon(camera, _box_corners(box, 0.25), 0.0)
        if polygon is not None:
            cv2.fillPoly(shadow, [polygon], 0.35, cv2.LINE_AA, shift=4)
    shadow = np.asarray(cv2.GaussianBlur(shadow, (0, 0), max(2.0, w / 80)), dtype=np.float32)
    image = (image * (1.0 - shadow[..., None])).astype(np.uint8)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xB0C5]))
    for box in sorted((*layout.boxes, *_wall_boxes(layout)), key=lambda b: b.height_m):
        _draw_box(image, camera, box, rng)
    return Background(image, _bank_gains(layout, xy, ambient), xy)


def _bank_gains(layout: StoreLayout, xy: npt.NDArray[np.float32], ambient: float) -> tuple[GainMap, ...]:
    """Gain per pixel contributed by each light bank: smooth discs around each light, plus ambient in bank -1."""
    banks = max((light.bank for light in layout.lights), default=-1) + 1
    x = np.nan_to_num(xy[..., 0], nan=1e3)
    y = np.nan_to_num(xy[..., 1], nan=1e3)
    gains = [np.zeros(xy.shape[:2], np.float32) for _ in range(banks)]
    for light in layout.lights:
        d2 = (x - light.xy_m[0]) ** 2 + (y - light.xy_m[1]) ** 2
        gains[light.bank] += (1.0 - ambient) * np.exp(-d2 / (2 * light.radius_m**2)).astype(np.float32)
    return tuple(gains)


def lit(background: Background, bank_levels: tuple[float, ...], ambient: float) -> GainMap:
    """The total gain map (H, W) for the banks' levels (0 off .. 1 full): ambient + sum of banks, clipped."""
    gain = np.full(background.image.shape[:2], ambient, np.float32)
    for level, bank in zip(bank_levels, background.bank_gains, strict=False):
        if level:
            cv2.scaleAdd(bank, float(level), gain, gain)
    return np.minimum(gain, 1.6)
