"""One store plan from the devices' layouts: floors, zones, lines and heatmap cells in the store frame.

Each device's geometry is in its own floor frame; its layout's placement
(rotate counter-clockwise by `rotation_deg`, then shift by `offset_m`) puts it
in the store frame, so several devices are stitched into one plan. A device
without a placement is drawn at the store origin. Drawn as SVG, metres scaled
to pixels, y up (as on a map).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from agent.publish.layout import LayoutReport

Point = tuple[float, float]
PX_PER_M = 40.0
MARGIN_PX = 50.0


@dataclass(frozen=True)
class HeatCell:
    """Person-seconds in one cell of one device's grid (device frame)."""

    device: str
    ix: int
    iy: int
    cell_m: float
    origin_m: Point
    person_s: float


def to_store(layout: LayoutReport, point: Point) -> Point:
    """A point of the device's floor frame in the store frame (metres)."""
    placement = layout.placement
    if placement is None:
        return point
    angle = math.radians(placement.rotation_deg)
    x, y = point
    cos, sin = math.cos(angle), math.sin(angle)
    return (cos * x - sin * y + placement.offset_m[0], sin * x + cos * y + placement.offset_m[1])


def _colour(fraction: float) -> str:
    """Pale yellow (little) to dark red (most)."""
    f = min(max(fraction, 0.0), 1.0)
    return f"rgb({255 - int(80 * f)},{int(235 * (1 - f) + 20)},{int(120 * (1 - f))})"


class FloorPlan:
    """The stitched plan of a site's layouts, with heatmap cells on it."""

    def __init__(self, layouts: Sequence[LayoutReport], cells: Sequence[HeatCell]) -> None:
        self.layouts = {layout.device: layout for layout in layouts}
        self.cells = [c for c in cells if c.device in self.layouts]
        self.unplaced_cells = len(cells) - len(self.cells)
        points = [to_store(layout, p) for layout in layouts for p in layout.floor_polygon_m]
        if not points:
            points = [(0.0, 0.0), (1.0, 1.0)]
        self.min_x = min(x for x, _ in points)
        self.min_y = min(y for _, y in points)
        self.max_x = max(x for x, _ in points)
        self.max_y = max(y for _, y in points)

    def cell_polygon(self, cell: HeatCell) -> list[Point]:
        """The four corners of a cell in the store frame."""
        layout = self.layouts[cell.device]
        x0 = cell.origin_m[0] + cell.ix * cell.cell_m
        y0 = cell.origin_m[1] + cell.iy * cell.cell_m
        corners = [
            (x0, y0),
            (x0 + cell.cell_m, y0),
            (x0 + cell.cell_m, y0 + cell.cell_m),
            (x0, y0 + cell.cell_m),
        ]
        return [to_store(layout, p) for p in corners]

    def _px(self, point: Point) -> Point:
        x, y = point
        return (MARGIN_PX + (x - self.min_x) * PX_PER_M, MARGIN_PX + (self.max_y - y) * PX_PER_M)

    def _points(self, points: Sequence[Point]) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in (self._px(p) for p in points))

    def svg(self) -> str:
        """The plan as an SVG element."""
        width = (self.max_x - self.min_x) * PX_PER_M + 2 * MARGIN_PX
        height = (self.max_y - self.min_y) * PX_PER_M + 2 * MARGIN_PX
        most = max((c.person_s for c in self.cells), default=0.0) or 1.0
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="floorplan" data-testid="floorplan" '
            f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">'
        ]
        for device, layout in sorted(self.layouts.items()):
            floor = [to_store(layout, p) for p in layout.floor_polygon_m]
            parts.append(
                f'<polygon class="floor" data-device="{escape(device)}" points="{self._points(floor)}"/>'
            )
        for cell in self.cells:
            parts.append(
                f'<polygon class="cell" data-device="{escape(cell.device)}" data-ix="{cell.ix}" '
                f'data-iy="{cell.iy}" fill="{_colour(cell.person_s / most)}" '
                f'points="{self._points(self.cell_polygon(cell))}">'
                f"<title>{escape(cell.device)} cell ({cell.ix}, {cell.iy}): {cell.person_s:.0f} person-s</title>"
                "</polygon>"
            )
        for device, layout in sorted(self.layouts.items()):
            for zone in layout.zones:
                corners = [to_store(layout, p) for p in zone.polygon_m]
                cx = sum(x for x, _ in corners) / len(corners)
                cy = sum(y for _, y in corners) / len(corners)
                lx, ly = self._px((cx, cy))
                parts.append(f'<polygon class="zone" points="{self._points(corners)}"/>')
                parts.append(f'<text class="zone-label" x="{lx:.1f}" y="{ly:.1f}">{escape(zone.name)}</text>')
            for line in layout.lines:
                (x1, y1), (x2, y2) = (self._px(to_store(layout, p)) for p in (line.start_m, line.end_m))
                parts.append(
                    f'<line class="count-line" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}">'
                    f"<title>{escape(device)} line {escape(line.name)}</title></line>"
                )
            fx, fy = self._px(to_store(layout, layout.floor_polygon_m[0]))
            parts.append(
                f'<text class="device-label" x="{fx + 4:.1f}" y="{fy - 4:.1f}">{escape(device)}</text>'
            )
        parts.append("</svg>")
        return "".join(parts)
