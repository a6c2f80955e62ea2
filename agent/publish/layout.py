"""The retained `layout` payload: what floor a device covers, in floor metres. Geometry only.

`footfall/v1/{site}/{device}/layout` is published retained, like `status`,
so a collector that starts later still learns every device's layout. It
carries the device's floor area, its counting lines and zones, its heatmap
grid and, optionally, where the device's floor frame sits in the store's
frame, so that several devices of one store can be drawn on one plan:

    store_xy = R(rotation_deg) · device_xy + offset_m

with R the counter-clockwise rotation (x right, y up, seen from above).
No imagery is ever part of it: only polygons, segments and a grid.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agent.publish.payloads import Payload, UtcTime

# Same identifier rule as every other payload (agent.publish.payloads).
LAYOUT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

FloorXY = tuple[float, float]


def _finite(points: list[FloorXY], what: str) -> list[FloorXY]:
    for x, y in points:
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"{what} has a corner ({x}, {y}); every coordinate should be finite metres")
    return points


class _Geometry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LayoutLine(_Geometry):
    """A counting line on the device's floor, metres; "in" is on `in_side` of start → end."""

    name: str = Field(pattern=LAYOUT_ID_PATTERN)
    start_m: FloorXY
    end_m: FloorXY
    in_side: Literal["left", "right"] = "left"

    @model_validator(mode="after")
    def _has_length(self) -> LayoutLine:
        _finite([self.start_m, self.end_m], f"line {self.name!r}")
        if self.start_m == self.end_m:
            raise ValueError(
                f"line {self.name!r} starts and ends at {list(self.start_m)}; it needs length > 0"
            )
        return self


class LayoutZone(_Geometry):
    """A zone polygon on the device's floor, metres, at least three corners."""

    name: str = Field(pattern=LAYOUT_ID_PATTERN)
    polygon_m: list[FloorXY] = Field(min_length=3)

    @field_validator("polygon_m")
    @classmethod
    def _finite_corners(cls, value: list[FloorXY]) -> list[FloorXY]:
        return _finite(value, "zone polygon")


class LayoutGrid(_Geometry):
    """The heatmap grid: `n_cols` x `n_rows` square cells of `cell_m` from `origin_m` (metres).

    Cell (ix, iy) of a `heatmap` report covers
    [origin_x + ix·cell_m, origin_x + (ix+1)·cell_m) x [origin_y + iy·cell_m, …).
    """

    origin_m: FloorXY
    cell_m: float = Field(gt=0, le=10)
    n_cols: int = Field(ge=1)
    n_rows: int = Field(ge=1)


class LayoutPlacement(_Geometry):
    """Where the device's floor frame lies in the store's frame: rotate, then shift (metres, degrees)."""

    offset_m: FloorXY = (0.0, 0.0)
    rotation_deg: float = Field(default=0.0, ge=-360, le=360, description="Counter-clockwise, degrees.")


class LayoutReport(Payload):
    """`layout` (retained): the device's floor area, lines, zones and heatmap grid, in floor metres."""

    kind: Literal["layout"] = "layout"
    sent_at: UtcTime | None = Field(default=None, description="Device wall time when sent.")
    floor_polygon_m: list[FloorXY] = Field(
        min_length=3, description="Outline of the floor area the device covers, device frame, metres."
    )
    lines: list[LayoutLine] = Field(default_factory=list)
    zones: list[LayoutZone] = Field(default_factory=list)
    heatmap: LayoutGrid | None = Field(default=None, description="Null when the device has no heatmap.")
    placement: LayoutPlacement | None = Field(
        default=None, description="The device frame in the store frame; null when not placed on a plan."
    )

    @field_validator("floor_polygon_m")
    @classmethod
    def _finite_floor(cls, value: list[FloorXY]) -> list[FloorXY]:
        return _finite(value, "floor_polygon_m")

    @model_validator(mode="after")
    def _unique_names(self) -> LayoutReport:
        for what, names in (("line", [x.name for x in self.lines]), ("zone", [z.name for z in self.zones])):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"{what} names {repeated} appear more than once; each should be unique")
        return self
