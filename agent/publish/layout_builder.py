"""The retained `layout` payload built from the device config: geometry only, never imagery."""

from __future__ import annotations

from agent.config import AgentConfig
from agent.geometry.grid import FloorGrid
from agent.publish.layout import LayoutGrid, LayoutLine, LayoutPlacement, LayoutReport, LayoutZone


def floor_outline_m(config: AgentConfig, grid: FloorGrid | None) -> list[tuple[float, float]]:
    """The floor area the device reports on: the heatmap grid, else the lines and zones with a 1 m margin."""
    if grid is not None:
        x0, y0 = grid.origin_m
        x1, y1 = x0 + grid.n_cols * grid.cell_m, y0 + grid.n_rows * grid.cell_m
    else:
        (x0, y0), (x1, y1) = config.floor_extent_m()
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def build_layout(config: AgentConfig, grid: FloorGrid | None) -> LayoutReport:
    """The layout report for this device (retained and re-sent at every connect, so not time-stamped)."""
    placement = config.layout
    return LayoutReport(
        site=config.device.site,
        device=config.device.id,
        floor_polygon_m=floor_outline_m(config, grid),
        lines=[
            LayoutLine(name=line.name, start_m=line.start, end_m=line.end, in_side=line.in_side)
            for line in config.lines
        ],
        zones=[LayoutZone(name=z.name, polygon_m=list(z.polygon)) for z in config.zones],
        heatmap=(
            LayoutGrid(origin_m=grid.origin_m, cell_m=grid.cell_m, n_cols=grid.n_cols, n_rows=grid.n_rows)
            if grid is not None
            else None
        ),
        placement=(
            LayoutPlacement(offset_m=placement.offset_m, rotation_deg=placement.rotation_deg)
            if placement.placed
            else None
        ),
    )
