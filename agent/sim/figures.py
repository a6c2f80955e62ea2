"""People as 3D shapes (legs, torso, arms, shoulders, head, hair, bags, trolleys) projected through a camera.

Each body part is a capsule (two 3D end points and a radius, metres) or a
box top. All end points of all people in a frame go through one
`CameraModel.floor_to_pixels` call, so the projection is the geometry
module's own (pinhole or fisheye) and people away from the image centre lean
outwards exactly as in real overhead footage. Parts are painted in order of
height (feet first, heads last): seen from the ceiling, higher is nearer.

A rounded surface lit from above darkens toward its silhouette, so each part
is painted with a rim: at full width at `RIM_SHADE` of its colour, then its
inner `CORE_SHARE` in its own colour. Without the rim a pale head over a white
top was a grey disc on white with hardly an edge, and the detector lost a
quarter of such people (benchmarks/RESULTS.md, "Who the lost counts are").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from agent.geometry.camera import CameraModel
from agent.sim.people import BGR, Person

_SHIFT = 4  # OpenCV drawing with 1/16 pixel precision
_SCALE = 1 << _SHIFT
RIM_SHADE = 0.7  # a part's silhouette, as a fraction of its colour
CORE_SHARE = 0.7  # the share of a part's width painted in its own colour


@dataclass(frozen=True)
class Capsule:
    """A body part: segment p0-p1 in floor metres (x, y, z) with radius `radius_m`, painted at `order`."""

    p0: tuple[float, float, float]
    p1: tuple[float, float, float]
    radius_m: float
    colour: BGR
    order: float
    highlight: bool = False


def _shade(colour: BGR, factor: float) -> BGR:
    return (
        min(255, int(colour[0] * factor)),
        min(255, int(colour[1] * factor)),
        min(255, int(colour[2] * factor)),
    )


def head_radius_m(height_m: float | npt.NDArray[np.float64]) -> float | npt.NDArray[np.float64]:
    """The radius (m) of the drawn head of a person `height_m` tall (a float or an array of them)."""
    return 0.095 * (0.8 + 0.2 * height_m / 1.7)


def body_parts(person: Person, t_s: float) -> list[Capsule]:
    """The capsules of `person` at `t_s` (empty when absent), walking gait included."""
    position = person.position_m(t_s)
    if position is None:
        return []
    look = person.appearance
    h = look.height_m
    x, y = position
    heading = person.heading_rad(t_s)
    fx, fy = np.cos(heading), np.sin(heading)
    rx, ry = np.sin(heading), -np.cos(heading)  # to the person's right
    speed = person.speed_m_s(t_s)
    swing = min(speed / 1.2, 1.2)
    stride_m = 0.8 * h
    phase = 2 * np.pi * person.distance_walked_m(t_s) / stride_m

    def at(forward: float, right: float, z: float) -> tuple[float, float, float]:
        return (x + forward * fx + right * rx, y + forward * fy + right * ry, z)

    half = look.shoulder_m / 2
    parts: list[Capsule] = []
    for side, sign in ((1.0, 1.0), (-1.0, -1.0)):
        step = sign * np.sin(phase) * 0.28 * h / 1.7 * swing
        parts.append(
            Capsule(
                at(0, 0.1 * side * h / 1.7, 0.5 * h),
                at(step, 0.1 * side * h / 1.7, 0.05),
                0.065 * h / 1.7,
                look.bottom_bgr,
                0.3,
            )
        )
        arm = -step * 0.8
        parts.append(
            Capsule(
                at(0, (half - 0.03) * side, 0.8 * h),
                at(arm, (half + 0.02) * side, 0.45 * h),
                0.045 * h / 1.7,
                look.top_bgr,
                0.75,
            )
        )
        parts.append(
            Capsule(
                at(arm, (half + 0.02) * side, 0.45 * h),
                at(arm, (half + 0.02) * side, 0.42 * h),
                0.04,
                look.skin_bgr,
                0.76,
            )
        )
    torso_r = 0.3 * look.shoulder_m
    parts.append(Capsule(at(0, 0, 0.52 * h), at(0, 0, 0.78 * h), torso_r, look.top_bgr, 0.78, highlight=True))
    parts.append(
        Capsule(
            at(0, half - 0.06, 0.81 * h),
            at(0, -(half - 0.06), 0.81 * h),
            0.085 * h / 1.7,
            look.top_bgr,
            0.81,
            highlight=True,
        )
    )
    if look.bag == "back":
        parts.append(Capsule(at(-0.17, 0, 0.62 * h), at(-0.17, 0, 0.76 * h), 0.12, look.bag_bgr, 0.77))
    elif look.bag == "hand":
        arm = -np.sin(phase) * 0.28 * h / 1.7 * swing * 0.8
        parts.append(
            Capsule(at(arm, half + 0.05, 0.3 * h), at(arm, half + 0.05, 0.4 * h), 0.1, look.bag_bgr, 0.4)
        )
    head_r = float(head_radius_m(h))
    head_z = h - head_r
    parts.append(
        Capsule(at(0.02, 0, head_z - 0.05), at(0.02, 0, head_z), head_r, look.skin_bgr, 0.95, highlight=True)
    )
    if look.long_hair:
        parts.append(Capsule(at(-0.04, 0, head_z), at(-0.08, 0, 0.8 * h), head_r * 0.9, look.hair_bgr, 0.9))
    if look.hat:
        parts.append(
            Capsule(at(0.0, 0, h - 0.02), at(0.0, 0, h), head_r * 1.3, _shade(look.top_bgr, 0.7), 0.99)
        )
    else:
        parts.append(
            Capsule(
                at(-0.02, 0, head_z + 0.01),
                at(-0.02, 0, head_z + 0.02),
                head_r * 0.93,
                look.hair_bgr,
                0.97,
                highlight=True,
            )
        )
    parts.extend(_pushed(person, at))
    return parts


Placer = Callable[[float, float, float], tuple[float, float, float]]


def _pushed(person: Person, place: Placer) -> list[Capsule]:
    """A trolley, pram or cleaning cart in front of the person, drawn as bars and a basket."""
    if person.pushing == "none":
        return []
    if person.pushing == "trolley":
        length, width, top, colour = 0.85, 0.28, 0.95, (175, 175, 180)
    elif person.pushing == "pram":
        length, width, top, colour = 0.75, 0.24, 0.9, (50, 40, 35)
    else:
        length, width, top, colour = 0.65, 0.25, 0.85, (40, 190, 230)
    near, far = 0.35, 0.35 + length
    parts = [
        Capsule(place(near, -width, top), place(near, width, top), 0.025, (60, 60, 60), 0.5),  # handle
        Capsule(place(near + 0.1, 0, 0.1), place(far, 0, 0.1), width, _shade(colour, 0.6), 0.2),  # base
    ]
    if person.pushing == "trolley":
        for right in (-width, width):
            parts.append(
                Capsule(
                    place(near + 0.05, right, top - 0.05),
                    place(far, right * 0.9, top - 0.05),
                    0.02,
                    colour,
                    0.55,
                )
            )
        parts.append(
            Capsule(place(far, -width, top - 0.05), place(far, width, top - 0.05), 0.02, colour, 0.55)
        )
    else:
        parts.append(
            Capsule(
                place(near + 0.1, 0, top - 0.1),
                place(far - 0.05, 0, top - 0.1),
                width * 0.95,
                colour,
                0.55,
                True,
            )
        )
    return parts


def draw_people(
    image: npt.NDArray[np.uint8],
    camera: CameraModel,
    people: list[Person],
    t_s: float,
    light: npt.NDArray[np.float32] | None = None,
) -> None:
    """Paint everyone present at `t_s` onto `image` (in place); colours scaled by the light at their feet."""
    parts: list[tuple[Capsule, float]] = []
    for person in people:
        capsules = body_parts(person, t_s)
        if not capsules:
            continue
        gain = 1.0
        if light is not None:
            foot = camera.floor_to_pixels([capsules[0].p1[:2]], 0.0)[0]
            if np.isfinite(foot).all():
                u = int(np.clip(foot[0], 0, light.shape[1] - 1))
                v = int(np.clip(foot[1], 0, light.shape[0] - 1))
                gain = float(light[v, u])
        parts.extend((c, gain) for c in capsules)
    if not parts:
        return
    parts.sort(key=lambda item: item[0].order)
    ends = np.array([c.p0 for c, _ in parts] + [c.p1 for c, _ in parts], dtype=np.float64)
    pixels = camera.floor_to_pixels(ends[:, :2], ends[:, 2])
    # Radius in pixels from a point offset sideways by the radius (works for pinhole and fisheye).
    cam = np.array(camera.position_m[:2])
    radial = ends[:, :2] - cam
    norm = np.hypot(radial[:, 0], radial[:, 1])
    side = np.column_stack([-radial[:, 1], radial[:, 0]]) / np.maximum(norm, 1e-6)[:, None]
    side[norm < 1e-6] = (1.0, 0.0)  # straight below the camera any sideways direction will do
    radii = np.array([c.radius_m for c, _ in parts] * 2)
    offset = camera.floor_to_pixels(ends[:, :2] + side * radii[:, None], ends[:, 2])
    radii_px = np.hypot(*(offset - pixels).T)
    n = len(parts)
    fixed = np.round(np.nan_to_num(pixels, nan=-1e4).clip(-1e4, 1e4) * _SCALE).astype(np.int64)
    for k, (capsule, gain) in enumerate(parts):
        r = float((radii_px[k] + radii_px[k + n]) / 2)
        if not np.isfinite(r) or r < 0.3:
            continue
        a, b = (int(fixed[k, 0]), int(fixed[k, 1])), (int(fixed[k + n, 0]), int(fixed[k + n, 1]))
        colour = _shade(capsule.colour, gain)
        thickness = max(1, round(2 * r))
        core = max(1, round(thickness * CORE_SHARE))
        cv2.line(image, a, b, _shade(colour, RIM_SHADE), thickness, cv2.LINE_AA, _SHIFT)
        cv2.line(image, a, b, colour, core, cv2.LINE_AA, _SHIFT)
        if capsule.highlight and r > 2.0:
            cv2.line(image, a, b, _shade(colour, 1.18), min(max(1, round(r)), core), cv2.LINE_AA, _SHIFT)
