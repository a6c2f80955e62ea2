"""Simulated multizone time-of-flight (ToF) frames over a doorway, with exact crossings.

For the serial-sensor work: a VL53L5CX-like sensor (8x8 or 4x4 zones,
45 x 45 degree square field of view, 63 degrees diagonal) looks straight
down from 2.5-3 m over a doorway while simulated people walk through it.
Self-contained use::

    from agent.sim.tof import ToFSensor, tof_doorway_scene, tof_frames

    scene = tof_doorway_scene(seed=1, duration_s=120.0)           # people + door line + truth
    for frame in tof_frames(scene, ToFSensor(rows=8, cols=8), fps=15.0, seed=1):
        frame.t_s, frame.distances_mm, frame.valid                  # (8, 8) uint16 mm, (8, 8) bool
    scene.crossings                                                 # [TruthCrossing(line, direction, t_s, ...)]

Conventions (floor frame: metres, x right, y "up" as on a map, z up):

- The sensor is at `(x, y) = position_xy_m`, `mounting_height_m` above the
  floor, looking straight down. The door line runs along x under it; the
  shop's inside is +y, and a crossing towards +y is "in".
- Zone `[row, col]`: row 0 looks towards +y (inside), the last row towards
  -y (street); col 0 looks towards -x. I.e. the array reads like a map seen
  from above, the same as the camera images.
- `distances_mm[row, col]` is the radial distance along the zone's centre
  ray to the nearest target covering at least `min_target_fraction` of the
  zone (a head or shoulders, else the floor), in millimetres, with Gaussian
  noise of `max(noise_floor_mm, noise_fraction * distance)` plus a fixed
  per-zone offset. Where `valid` is False the reading is a dropout and
  `distances_mm` holds 0 (like a VL53L5CX target status other than 5/9).
- Dropouts: each zone independently with `dropout_rate` per frame, more on
  dark hair (`dark_dropout_rate`), and whole frames with `frame_dropout_rate`
  (a bus glitch), so consumers must handle both.

Ground truth `scene.crossings` comes from the paths (see
`agent.sim.crossings`), not from the distances: a turn-back that passes the
line and returns is an "in" then an "out"; one that stops short is nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agent.geometry.shapes import FloorLine
from agent.sim.crossings import TruthCrossing, all_crossings
from agent.sim.doorway import ONLY_PEOPLE, Door, DoorwayMix, doorway_people, poisson_arrivals
from agent.sim.people import Person

FloatArray = npt.NDArray[np.float64]

_HEAD_RADIUS_M = 0.10
_TORSO_DEPTH_M = 0.13  # half-depth of the shoulders seen from above
_TROLLEY_TOP_M = 0.95


@dataclass(frozen=True)
class ToFSensor:
    """A multizone ToF sensor looking straight down; angles in degrees, lengths in metres or mm.

    Raises:
        ValueError: rows/cols not 4 or 8, or a value out of range (named in the message).
    """

    rows: int = 8
    cols: int = 8
    mounting_height_m: float = 2.8
    position_xy_m: tuple[float, float] = (0.0, 0.0)
    fov_deg: float = 45.0
    noise_fraction: float = 0.02
    noise_floor_mm: float = 4.0
    zone_offset_mm: float = 6.0
    dropout_rate: float = 0.005
    dark_dropout_rate: float = 0.04
    frame_dropout_rate: float = 0.002
    min_target_fraction: float = 0.25
    max_range_mm: int = 4000

    def __post_init__(self) -> None:
        for name in ("rows", "cols"):
            if getattr(self, name) not in (4, 8):
                raise ValueError(f"ToFSensor.{name} is {getattr(self, name)!r}, should be 4 or 8 zones")
        if not 1.0 <= self.mounting_height_m <= 4.0:
            raise ValueError(
                f"ToFSensor.mounting_height_m is {self.mounting_height_m!r}, should be in [1, 4] m"
            )
        if not 10.0 <= self.fov_deg <= 90.0:
            raise ValueError(f"ToFSensor.fov_deg is {self.fov_deg!r}, should be in [10, 90] degrees")
        for name in ("noise_fraction", "dropout_rate", "dark_dropout_rate", "frame_dropout_rate"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"ToFSensor.{name} is {getattr(self, name)!r}, should be in [0, 1)")

    def subray_tangents(self, per_zone: int) -> tuple[FloatArray, FloatArray]:
        """Tangents (tx, ty) of `per_zone` x `per_zone` sub-rays per zone, shape (rows, cols, per_zone**2)."""
        half = np.radians(self.fov_deg) / 2.0

        def angles(n: int, flip: bool) -> FloatArray:
            edges = np.linspace(-half, half, n * per_zone + 1)
            centres = (edges[:-1] + edges[1:]) / 2.0
            grid = centres.reshape(n, per_zone)
            return grid[::-1, ::-1] if flip else grid

        ax = angles(self.cols, flip=False)  # (cols, s): col 0 towards -x
        ay = angles(self.rows, flip=True)  # (rows, s): row 0 towards +y
        tx = np.tan(ax)[None, :, None, :].repeat(self.rows, 0).repeat(per_zone, 2)
        ty = np.tan(ay)[:, None, :, None].repeat(self.cols, 1).repeat(per_zone, 3)
        shape = (self.rows, self.cols, per_zone * per_zone)
        return tx.reshape(shape), ty.reshape(shape)


@dataclass(frozen=True, eq=False)
class ToFFrame:
    """One reading of all zones at `t_s` seconds.

    `distances_mm` (rows, cols) uint16: noisy distance, 0 where invalid.
    `valid` (rows, cols) bool: False for dropouts.
    `clean_mm` (rows, cols) float32: the noise-free distance (for tests; a real sensor has none).
    """

    index: int
    t_s: float
    distances_mm: npt.NDArray[np.uint16]
    valid: npt.NDArray[np.bool_]
    clean_mm: npt.NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class ToFScene:
    """People walking through a door under the sensor, the door's counting line and the true crossings."""

    people: tuple[Person, ...]
    line: FloorLine
    duration_s: float
    crossings: tuple[TruthCrossing, ...]


def tof_doorway_scene(
    seed: int,
    duration_s: float = 120.0,
    *,
    people_per_minute: float = 10.0,
    door_width_m: float = 1.8,
    door_centre_xy_m: tuple[float, float] = (0.0, 0.0),
    mix: DoorwayMix = ONLY_PEOPLE,
    keep_to_side_m: float = 0.0,
    min_turn_depth_m: float = 0.05,
    min_gap_m: float = 0.0,
) -> ToFScene:
    """Arrival events at a door under a ToF sensor: single file, pairs and threes abreast, turn-backs.

    Arrivals are a Poisson process of `people_per_minute` events (a group
    is one event); everyone appears 2.5 m from the line on the street or
    shop side and walks through (or turns back). `keep_to_side_m` is passed
    `min_turn_depth_m` and `min_gap_m` to `doorway_people` (people alone keep
    to their right; turn-backs stop at least that far from the line; nobody
    walks into the person ahead). The scene and its
    truth are a pure function of the arguments.

    Raises:
        ValueError: duration_s or people_per_minute not > 0, or door narrower than 0.8 m.
    """
    if not duration_s > 0 or not people_per_minute > 0:
        raise ValueError(
            f"duration_s {duration_s!r} and people_per_minute {people_per_minute!r} should both be > 0"
        )
    cx, cy = door_centre_xy_m
    door = Door(cx - door_width_m / 2, cx + door_width_m / 2, line_y_m=cy, y_out_m=cy - 2.5, y_in_m=cy + 2.5)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x70F]))
    rate = people_per_minute / 60.0
    arrivals = poisson_arrivals(rng, 0.0, duration_s, lambda _t: rate, rate)
    people = tuple(
        doorway_people(
            rng,
            door,
            arrivals,
            mix=mix,
            keep_to_side_m=keep_to_side_m,
            min_turn_depth_m=min_turn_depth_m,
            min_gap_m=min_gap_m,
        )
    )
    line = FloorLine("door", (door.x0_m, cy), (door.x1_m, cy), "left")
    crossings = tuple(c for c in all_crossings(people, [line]) if c.t_s <= duration_s)
    return ToFScene(people, line, duration_s, crossings)


def tof_frames(
    scene: ToFScene | Sequence[Person],
    sensor: ToFSensor = ToFSensor(),
    *,
    fps: float = 15.0,
    seed: int = 0,
    duration_s: float | None = None,
    subrays_per_zone: int | None = None,
) -> Iterator[ToFFrame]:
    """Frames of `sensor` at `fps` from t = 0 to `duration_s` (default: the scene's), deterministic for `seed`.

    `scene` may be a `ToFScene` or any people (e.g. an `entrance` scenario's).
    Sub-rays per zone default to 4x4 for 8x8 zones and 8x8 for 4x4 zones.

    Raises:
        ValueError: fps not > 0, or no duration given for a plain list of people.
    """
    if not fps > 0:
        raise ValueError(f"fps is {fps!r}, should be > 0 frames per second")
    people: Sequence[Person] = scene.people if isinstance(scene, ToFScene) else scene
    if duration_s is None:
        if not isinstance(scene, ToFScene):
            raise ValueError("duration_s is required when tof_frames gets a list of people")
        duration_s = scene.duration_s
    per_zone = subrays_per_zone or (4 if sensor.rows == 8 else 8)
    tx, ty = sensor.subray_tangents(per_zone)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x70F, sensor.rows, sensor.cols]))
    offsets_mm = rng.normal(0.0, sensor.zone_offset_mm, size=(sensor.rows, sensor.cols))
    centre_secant = np.sqrt(1.0 + tx.mean(axis=2) ** 2 + ty.mean(axis=2) ** 2)
    starts_s = np.array([person.t_start_s for person in people])
    ends_s = np.array([person.t_end_s for person in people])
    for index in range(int(np.floor(duration_s * fps)) + 1):
        t_s = index / fps
        present = [people[int(i)] for i in np.flatnonzero((starts_s <= t_s) & (t_s <= ends_s))]
        clean_m, dark = _zone_distances_m(sensor, present, t_s, tx, ty, centre_secant)
        clean_mm = clean_m * 1000.0
        sigma = np.maximum(sensor.noise_floor_mm, sensor.noise_fraction * clean_mm)
        noisy = clean_mm + offsets_mm + rng.normal(0.0, 1.0, size=clean_mm.shape) * sigma
        drop = rng.random(clean_mm.shape)
        valid = (drop >= sensor.dropout_rate) & ~(dark & (drop < sensor.dark_dropout_rate))
        valid &= noisy <= sensor.max_range_mm
        if rng.random() < sensor.frame_dropout_rate:
            valid[:] = False
        distances = np.where(valid, np.clip(np.rint(noisy), 1, 65535), 0).astype(np.uint16)
        yield ToFFrame(index, t_s, distances, valid, clean_mm.astype(np.float32))


def _zone_distances_m(
    sensor: ToFSensor,
    people: Sequence[Person],
    t_s: float,
    tx: FloatArray,
    ty: FloatArray,
    centre_secant: FloatArray,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Noise-free zone distances (rows, cols) in metres and which zones see dark hair."""
    h = sensor.mounting_height_m
    sx, sy = sensor.position_xy_m
    # Height of the nearest surface along each sub-ray (0 = floor).
    hit_z = np.zeros(tx.shape)
    hit_dark = np.zeros(tx.shape, dtype=bool)
    for person in people:
        position = person.position_m(t_s)
        if position is None:
            continue
        px, py = position
        look = person.appearance
        heading = person.heading_rad(t_s)
        shoulder_z = 0.82 * look.height_m
        # Shoulders: an ellipse at shoulder height, across the heading.
        dx, dy = sx + (h - shoulder_z) * tx - px, sy + (h - shoulder_z) * ty - py
        along = dx * np.cos(heading) + dy * np.sin(heading)
        across = -dx * np.sin(heading) + dy * np.cos(heading)
        torso = (along / _TORSO_DEPTH_M) ** 2 + (across / (look.shoulder_m / 2)) ** 2 <= 1.0
        hit_z = np.where(torso & (hit_z < shoulder_z), shoulder_z, hit_z)
        # Head: a sphere; a vertical ray at horizontal offset r hits at centre + sqrt(R^2 - r^2).
        centre_z = look.height_m - _HEAD_RADIUS_M
        dx, dy = sx + (h - centre_z) * tx - px, sy + (h - centre_z) * ty - py
        r2 = dx * dx + dy * dy
        head = r2 <= _HEAD_RADIUS_M**2
        head_z = centre_z + np.sqrt(np.maximum(_HEAD_RADIUS_M**2 - r2, 0.0))
        closer = head & (head_z > hit_z)
        hit_z = np.where(closer, head_z, hit_z)
        if sum(look.hair_bgr) < 200 and not look.hat:
            hit_dark |= closer
        if person.pushing != "none":
            ahead = 0.75 if person.pushing == "trolley" else 0.7
            cx, cy = px + ahead * np.cos(heading), py + ahead * np.sin(heading)
            dx, dy = sx + (h - _TROLLEY_TOP_M) * tx - cx, sy + (h - _TROLLEY_TOP_M) * ty - cy
            along = dx * np.cos(heading) + dy * np.sin(heading)
            across = -dx * np.sin(heading) + dy * np.cos(heading)
            box = (np.abs(along) <= 0.4) & (np.abs(across) <= 0.28)
            hit_z = np.where(box & (hit_z < _TROLLEY_TOP_M), _TROLLEY_TOP_M, hit_z)
    on_target = hit_z > 0.3
    fraction = on_target.mean(axis=2)
    # Distance along the zone's centre ray to the dominant target's mean height.
    target_z = np.where(on_target, hit_z, np.nan)
    with np.errstate(invalid="ignore"):
        mean_target_z = np.nanmean(np.where(on_target.any(axis=2, keepdims=True), target_z, 0.0), axis=2)
    use_target = fraction >= sensor.min_target_fraction
    z = np.where(use_target, mean_target_z, 0.0)
    dark = use_target & (hit_dark.mean(axis=2) >= sensor.min_target_fraction)
    return (h - z) * centre_secant, dark
