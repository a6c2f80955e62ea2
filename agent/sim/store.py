"""Store scenes in floor metres: walls, entrances, shelves, a checkout, and the installer's lines and zones.

A `StoreLayout` is pure data; the behaviour modules decide where people
walk in it, the renderer draws it, and its `lines` and `zones` are exactly
what the scenario's installer config (config/scenarios/NAME.toml) holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from agent.geometry.arrays import FloatArray
from agent.geometry.regions import FloorPolygon
from agent.geometry.shapes import FloorLine
from agent.sim.people import BGR

FloorStyle = Literal["tiles", "wood", "concrete"]


@dataclass(frozen=True)
class Box:
    """An axis-aligned box standing on the floor: shelf, counter, display table (metres, BGR colours).

    Raises:
        ValueError: if the box has no area or height (named).
    """

    name: str
    min_xy_m: tuple[float, float]
    max_xy_m: tuple[float, float]
    height_m: float
    top_bgr: BGR = (150, 150, 155)
    side_bgr: BGR = (110, 110, 115)
    stocked: bool = True  # draws products on the sides

    def __post_init__(self) -> None:
        if not (self.max_xy_m[0] > self.min_xy_m[0] and self.max_xy_m[1] > self.min_xy_m[1]):
            raise ValueError(
                f"box {self.name!r}: max_xy_m {self.max_xy_m} should exceed min_xy_m {self.min_xy_m}"
            )
        if not 0 < self.height_m < 3.0:
            raise ValueError(f"box {self.name!r}: height_m {self.height_m} should be in (0, 3) metres")


@dataclass(frozen=True)
class Light:
    """A ceiling light at floor position `xy_m` in bank `bank` (switched together), lighting a disc `radius_m`."""

    xy_m: tuple[float, float]
    bank: int = 0
    radius_m: float = 3.0


@dataclass(frozen=True)
class StoreLayout:
    """One store scene. `bounds_m` is the simulated floor (min x, min y, max x, max y).

    `outside_y_m`: floor with y below this is the street (drawn as pavement),
    None when the view has no street. Walls are drawn as thick segments.
    """

    name: str
    bounds_m: tuple[float, float, float, float]
    boxes: tuple[Box, ...] = ()
    walls: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = ()
    lines: tuple[FloorLine, ...] = ()
    zones: tuple[FloorPolygon, ...] = ()
    lights: tuple[Light, ...] = ()
    floor: FloorStyle = "tiles"
    floor_bgr: BGR = (170, 172, 175)
    outside_y_m: float | None = None
    mats: tuple[Box, ...] = field(default=())  # flat things on the floor (door mat), height ignored


def rect(x0: float, y0: float, x1: float, y1: float) -> FloatArray:
    """The corners (4, 2) of an axis-aligned rectangle, counter-clockwise (metres)."""
    return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], dtype=np.float64)


def entrance_layout() -> StoreLayout:
    """A shop door 2.4 m wide in the front wall (y = 0); the street is y < 0, the shop y > 0."""
    return StoreLayout(
        name="entrance",
        bounds_m=(-4.0, -3.0, 4.0, 4.0),
        boxes=(
            Box("promo_table", (1.9, 1.3), (3.0, 2.1), 0.85, (90, 160, 200), (70, 120, 150)),
            Box("rack", (-3.3, 1.6), (-2.3, 3.5), 1.5, (140, 140, 145), (100, 100, 110)),
        ),
        walls=(((-4.0, 0.0), (-1.25, 0.0)), ((1.25, 0.0), (4.0, 0.0))),
        lines=(FloorLine("door", (-1.2, 0.3), (1.2, 0.3), "left"),),
        zones=(
            FloorPolygon("entrance", rect(-1.5, 0.3, 1.5, 2.2)),
            FloorPolygon("promo", rect(1.5, 0.8, 3.4, 2.6)),
        ),
        lights=(Light((-1.5, 1.5)), Light((1.5, 1.5)), Light((0.0, -1.5), bank=1, radius_m=4.0)),
        floor="tiles",
        outside_y_m=0.0,
        mats=(Box("mat", (-1.2, 0.05), (1.2, 1.0), 0.01, (60, 60, 65), (60, 60, 65), stocked=False),),
    )


def aisle_layout() -> StoreLayout:
    """One aisle 2 m wide along x between two gondolas 1.7 m tall; the shelf fronts face the aisle."""
    return StoreLayout(
        name="aisle",
        bounds_m=(-5.0, -3.0, 5.0, 3.0),
        boxes=(
            Box("north_gondola", (-4.0, 1.0), (4.0, 1.9), 1.7),
            Box("south_gondola", (-4.0, -1.9), (4.0, -1.0), 1.7),
        ),
        lines=(FloorLine("aisle_mid", (0.0, 1.0), (0.0, -1.0), "left"),),
        zones=(
            FloorPolygon("shelf_north", rect(-4.0, 0.35, 4.0, 1.0)),
            FloorPolygon("shelf_south", rect(-4.0, -1.0, 4.0, -0.35)),
            FloorPolygon("aisle_west", rect(-4.0, -0.35, -1.0, 0.35)),
            FloorPolygon("aisle_east", rect(1.0, -0.35, 4.0, 0.35)),
        ),
        lights=(Light((-2.5, 0.0)), Light((0.0, 0.0), bank=1), Light((2.5, 0.0), bank=2)),
        floor="concrete",
        floor_bgr=(150, 155, 160),
    )


def checkout_layout() -> StoreLayout:
    """A till counter at x 0.7..1.3 m; customers queue along -y in front of it and leave past its end (-x, then +y)."""
    return StoreLayout(
        name="checkout",
        bounds_m=(-5.0, -4.0, 5.0, 4.0),
        boxes=(
            Box("till", (0.7, -0.2), (1.3, 1.6), 0.9, (60, 60, 60), (90, 90, 95), stocked=False),
            Box("impulse_rack", (-1.4, -2.8), (-0.9, 0.2), 1.3),
            Box("gondola", (2.8, -3.5), (3.6, 1.0), 1.7),
        ),
        # Across the way out, beside the till: paid customers cross it walking towards -x.
        lines=(FloorLine("checkout_exit", (-0.6, 0.3), (-0.6, 1.2), "left"),),
        zones=(
            FloorPolygon("queue", rect(-0.6, -3.0, 0.65, 0.2)),
            FloorPolygon("till", rect(-0.6, 0.2, 0.65, 1.5)),
        ),
        lights=(Light((0.0, 0.0), radius_m=4.0), Light((3.0, -2.0), bank=1)),
        floor="wood",
        floor_bgr=(110, 150, 185),
    )


def busy_layout() -> StoreLayout:
    """A 14 x 10 m sales floor: four gondola rows with cross aisles at both ends and in the middle."""
    boxes = []
    for row, y in enumerate((-3.2, -0.9, 1.4, 3.7)):
        for half, (x0, x1) in enumerate(((-5.5, -0.8), (0.8, 5.5))):
            boxes.append(Box(f"gondola_{row}{half}", (x0, y - 0.4), (x1, y + 0.4), 1.6))
    return StoreLayout(
        name="busy",
        bounds_m=(-7.0, -5.0, 7.0, 5.0),
        boxes=tuple(boxes),
        walls=(((-7.0, -5.0), (7.0, -5.0)), ((-7.0, 5.0), (7.0, 5.0))),
        # Across the middle cross aisle between two gondola rows: walked through north-south only
        # (on y = 0.25 it lay along the east-west aisle, where shoppers walk beside it).
        lines=(FloorLine("centre_aisle", (-0.8, 1.4), (0.8, 1.4), "left"),),
        zones=(
            FloorPolygon("west", rect(-7.0, -5.0, -0.8, 5.0)),
            FloorPolygon("centre", rect(-0.8, -5.0, 0.8, 5.0)),
            FloorPolygon("east", rect(0.8, -5.0, 7.0, 5.0)),
        ),
        lights=tuple(Light((x, y), bank=0, radius_m=3.5) for x in (-4.5, 0.0, 4.5) for y in (-2.5, 2.5)),
        floor="tiles",
        floor_bgr=(185, 185, 180),
    )


def night_layout() -> StoreLayout:
    """The aisle store after hours: same gondolas, lines and zones, three light banks."""
    base = aisle_layout()
    return StoreLayout(
        name="night",
        bounds_m=base.bounds_m,
        boxes=base.boxes,
        lines=base.lines,
        zones=base.zones,
        lights=base.lights,
        floor=base.floor,
        floor_bgr=base.floor_bgr,
    )
