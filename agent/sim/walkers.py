"""Overhead clips of figures walking across a doorway, with exact ground truth.

A small, deterministic renderer for the walking skeleton's tests and demo:
a straight-down camera over a tiled floor (`metres_per_pixel` fixed), and
figures (shoulders and head seen from above) that walk straight paths at
walking speed. Ground truth is computed from the paths themselves, not from
the pictures. The full simulator (stores, behaviour, lens models) builds on
the same idea in later work.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from agent.geometry.shapes import FloorLine, segments_cross


@dataclass(frozen=True)
class Walker:
    """One figure walking from `start_m` to `end_m` (floor metres), starting at `t_start_s`."""

    start_m: tuple[float, float]
    end_m: tuple[float, float]
    t_start_s: float
    speed_m_s: float = 1.2
    colour_bgr: tuple[int, int, int] = (60, 40, 160)

    def position_m(self, t_s: float) -> tuple[float, float] | None:
        """Where the figure is at `t_s`, or None before it starts or after it arrives."""
        length_m = float(np.hypot(self.end_m[0] - self.start_m[0], self.end_m[1] - self.start_m[1]))
        travelled_m = (t_s - self.t_start_s) * self.speed_m_s
        if travelled_m < 0 or travelled_m > length_m:
            return None
        f = travelled_m / length_m
        return (
            self.start_m[0] + f * (self.end_m[0] - self.start_m[0]),
            self.start_m[1] + f * (self.end_m[1] - self.start_m[1]),
        )


@dataclass(frozen=True)
class ClipSpec:
    """Everything needed to render a clip: size (px), scale (m/px), rate, length, line, walkers."""

    width_px: int
    height_px: int
    metres_per_pixel: float
    fps: float
    duration_s: float
    line: FloorLine
    walkers: tuple[Walker, ...]


def ground_truth(spec: ClipSpec) -> dict[str, int]:
    """People who cross `spec.line` in each direction (by their paths, not by the pictures)."""
    counts = {"in": 0, "out": 0}
    start, end = np.array(spec.line.start_m), np.array(spec.line.end_m)
    for walker in spec.walkers:
        a, b = np.array(walker.start_m), np.array(walker.end_m)
        if bool(segments_cross(a, b, start, end)):
            counts["in" if spec.line.side(b[None, :])[0] > 0 else "out"] += 1
    return counts


def _floor_image(spec: ClipSpec) -> np.ndarray:
    """A tiled grey floor with fixed texture, so the background is not a flat colour."""
    rng = np.random.default_rng(7)
    floor = np.full((spec.height_px, spec.width_px, 3), 168, np.uint8)
    tile_px = max(4, round(0.6 / spec.metres_per_pixel))
    for u in range(0, spec.width_px, tile_px):
        cv2.line(floor, (u, 0), (u, spec.height_px - 1), (140, 140, 140), 1)
    for v in range(0, spec.height_px, tile_px):
        cv2.line(floor, (0, v), (spec.width_px - 1, v), (140, 140, 140), 1)
    texture = rng.integers(-6, 7, size=floor.shape, dtype=np.int16)
    return np.asarray(np.clip(floor.astype(np.int16) + texture, 0, 255), dtype=np.uint8)


def render_frame(spec: ClipSpec, floor: np.ndarray, t_s: float, rng: np.random.Generator) -> np.ndarray:
    """The camera image at `t_s`: every walker present drawn as shoulders and head from above."""
    image = floor.copy()
    for walker in spec.walkers:
        position = walker.position_m(t_s)
        if position is None:
            continue
        # Floor +y is up the image (the project's map-like floor frame); pixel v grows downwards.
        u = position[0] / spec.metres_per_pixel
        v = spec.height_px - position[1] / spec.metres_per_pixel
        heading = -np.degrees(
            np.arctan2(walker.end_m[1] - walker.start_m[1], walker.end_m[0] - walker.start_m[0])
        )
        shoulders_px = (round(0.13 / spec.metres_per_pixel), round(0.25 / spec.metres_per_pixel))
        cv2.ellipse(
            image, (round(u), round(v)), shoulders_px, heading, 0, 360, walker.colour_bgr, -1, cv2.LINE_AA
        )
        cv2.circle(
            image, (round(u), round(v)), round(0.1 / spec.metres_per_pixel), (30, 30, 40), -1, cv2.LINE_AA
        )
    noise = rng.normal(0, 2.0, size=image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def render_clip(spec: ClipSpec, path: Path) -> dict[str, object]:
    """Write the clip to `path` (MJPEG in AVI) and return its ground truth.

    Raises:
        OSError: OpenCV cannot write the file.
    """
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter.fourcc(*"MJPG"), spec.fps, (spec.width_px, spec.height_px)
    )
    if not writer.isOpened():
        raise OSError(f"{path}: OpenCV cannot write an MJPEG/AVI file here")
    floor = _floor_image(spec)
    rng = np.random.default_rng(11)
    try:
        for index in range(round(spec.duration_s * spec.fps)):
            writer.write(render_frame(spec, floor, index / spec.fps, rng))
    finally:
        writer.release()
    truth = ground_truth(spec)
    return {
        "line": spec.line.name,
        "in": truth["in"],
        "out": truth["out"],
        "walkers": [asdict(w) for w in spec.walkers],
    }


def doorway_spec(duration_s: float = 30.0) -> ClipSpec:
    """The bundled doorway clip: 6.4 x 4.8 m at 2 cm/px (floor (0, 0) at the bottom-left pixel).

    Twelve people cross at different places and times (some at once, in
    opposite directions, 1.5 m or more apart), and two walk past the line's
    end without crossing it: they must not count.
    """
    line = FloorLine("door", (0.6, 2.4), (5.2, 2.4), "left")
    palette = [(60, 40, 160), (150, 80, 30), (40, 130, 40), (20, 20, 20), (180, 180, 220), (30, 90, 200)]
    walkers = []
    plan = [  # (x metres, direction, start time s)
        (1.0, "in", 0.5),
        (3.2, "out", 1.0),
        (4.6, "in", 3.0),
        (2.0, "in", 5.5),
        (1.2, "out", 8.0),
        (4.0, "in", 9.0),
        (2.6, "out", 12.0),
        (4.8, "in", 14.5),
        (1.6, "in", 17.0),
        (3.6, "out", 17.5),
        (2.2, "in", 21.0),
        (4.4, "out", 23.5),
    ]
    for i, (x, direction, t0) in enumerate(plan):
        y0, y1 = (0.2, 4.6) if direction == "in" else (4.6, 0.2)
        walkers.append(Walker((x, y0), (x + 0.3, y1), t0, 1.0 + 0.1 * (i % 4), palette[i % len(palette)]))
    # Past the end of the line (x > 5.2): the line's infinite extension, not the segment.
    walkers.append(Walker((5.9, 0.2), (5.9, 4.6), 6.0, 1.2, palette[2]))
    walkers.append(Walker((6.0, 4.6), (6.0, 0.2), 19.0, 1.1, palette[4]))
    return ClipSpec(320, 240, 0.02, 10.0, duration_s, line, tuple(walkers))


def write_ground_truth(truth: dict[str, object], path: Path) -> None:
    """Store ground truth as JSON next to the clip."""
    path.write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
