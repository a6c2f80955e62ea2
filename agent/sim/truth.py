"""Ground truth of a simulated clip, computed from the paths (never from the pictures).

What it holds (all times in clip seconds, floor in metres, pixels from the top-left):

- `frames`: per frame `[t_s, [[pid, x_m, y_m, head_u_px, head_v_px], ...]]` for
  everyone present; the head pixel is the top of the head projected through
  the scenario camera, null when outside the image.
- `crossings`: exact line crossings `{line, direction, t_s, pid, point_m}`
  (interpolated on the path, see `agent.sim.crossings`).
- `zone_visits`: `{zone, pid, enter_s, exit_s}` sampled at frame times, like
  the agent's per-frame occupancy (exit_s null: still inside at the end).
- `heatmap` person-seconds per cell and `flows` (zone to next zone) over the clip.
- `buckets`: per `bucket_s` from t = 0, the totals in the same shapes as the
  agent's `counts`, `occupancy`, `dwell`, `heatmap` and `flows` reports
  (`agent.publish.payloads`), without privacy suppression, so a report can be
  compared with its bucket directly.

`encode_truth` gives canonical bytes: regenerating from the same command gives
the same bytes.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from agent.geometry.camera import CameraModel
from agent.geometry.grid import FloorGrid
from agent.publish.payloads import DwellBin, Flow, HeatmapCell, LineCount, ZoneDwell, ZoneOccupancy
from agent.sim.crossings import PASSAGE_M, all_crossings
from agent.sim.people import Person
from agent.sim.scenarios import Scenario

DWELL_EDGES_S: tuple[float, ...] = (0.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0)
"""Dwell histogram bin edges in seconds; the last bin is open."""


@dataclass(frozen=True)
class ClipSettings:
    """How a clip is made: seed, length (s), frame rate (frames/s), size (px) and report bucket (s).

    Raises:
        ValueError: on a non-positive length, rate or bucket, or a size below 64x48.
    """

    scenario: str
    seed: int
    duration_s: float
    fps: float = 15.0
    width_px: int = 640
    height_px: int = 480
    bucket_s: int = 10

    def __post_init__(self) -> None:
        if not (self.duration_s > 0 and self.fps > 0 and self.bucket_s >= 1):
            raise ValueError(
                f"clip settings: duration_s {self.duration_s}, fps {self.fps} and bucket_s {self.bucket_s} "
                "should all be positive"
            )
        if self.width_px < 64 or self.height_px < 48:
            raise ValueError(
                f"clip settings: size {self.width_px}x{self.height_px} px, should be at least 64x48"
            )

    @property
    def frame_count(self) -> int:
        """Number of frames: one every 1/fps seconds from t = 0 up to (not including) duration_s."""
        return max(1, math.ceil(self.duration_s * self.fps - 1e-9))

    def frame_times_s(self) -> npt.NDArray[np.float64]:
        """Time of each frame, seconds."""
        return np.arange(self.frame_count, dtype=np.float64) / self.fps


def heatmap_grid(scenario: Scenario) -> FloorGrid:
    """The heatmap grid of a scenario: its floor bounds in cells of `heatmap_cell_m`."""
    x0, y0, x1, y1 = scenario.layout.bounds_m
    return FloorGrid.covering((x0, y0), (x1, y1), scenario.heatmap_cell_m)


def _r(value: float, digits: int) -> float:
    return round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0


def build_truth(
    scenario: Scenario, people: list[Person], settings: ClipSettings, command: str = ""
) -> dict[str, Any]:
    """The ground truth of a clip of `people` in `scenario` (see the module docstring for its fields)."""
    camera = scenario.camera.model(settings.width_px, settings.height_px)
    times = settings.frame_times_s()
    positions = np.stack([p.positions_m(times) for p in people]) if people else np.zeros((0, len(times), 2))
    present: npt.NDArray[np.bool_] = np.asarray(np.isfinite(positions).all(axis=2))  # (P, T)
    frames = _frames(camera, people, times, positions, present)
    zones = scenario.layout.zones
    inside = {z.name: np.zeros(present.shape, dtype=bool) for z in zones}
    for zone in zones:
        for k in range(len(people)):
            inside[zone.name][k, present[k]] = zone.contains(positions[k, present[k]])
    visits = _zone_visits(people, times, inside)
    grid = heatmap_grid(scenario)
    cells = np.full(present.shape, -1, dtype=np.int64)
    for k in range(len(people)):
        cells[k, present[k]] = grid.cell_index(positions[k, present[k]])
    crossings = [
        c
        for c in all_crossings(people, scenario.layout.lines, pass_m=PASSAGE_M)
        if 0.0 <= c.t_s < settings.duration_s
    ]
    buckets = []
    for start in range(0, math.ceil(settings.duration_s - 1e-9), settings.bucket_s):
        end = min(start + settings.bucket_s, settings.duration_s)
        in_bucket = (times >= start) & (times < end)
        buckets.append(
            {
                "start_s": start,
                "bucket_s": settings.bucket_s,
                "counts": {"lines": _line_counts(scenario, [c for c in crossings if start <= c.t_s < end])},
                "occupancy": {"zones": _occupancy(inside, in_bucket)},
                "dwell": {
                    "zones": _dwell(
                        zones_names(scenario),
                        [v for v in visits if v["exit_s"] is not None and start <= v["exit_s"] < end],
                    )
                },
                "heatmap": _heatmap(grid, cells[:, in_bucket], settings.fps),
                "flows": {"flows": _flows(visits, start, end)},
            }
        )
    return {
        "format": "footfall-sim-truth/1",
        "command": command,
        "scenario": scenario.name,
        "seed": settings.seed,
        "fps": settings.fps,
        "duration_s": settings.duration_s,
        "width_px": settings.width_px,
        "height_px": settings.height_px,
        "camera": {
            "kind": scenario.camera.kind,
            "hfov_deg": scenario.camera.hfov_deg,
            "height_m": scenario.camera.height_m,
            "position_xy_m": list(scenario.camera.position_xy_m),
        },
        "lines": [
            {"name": line.name, "start": list(line.start_m), "end": list(line.end_m), "in_side": line.in_side}
            for line in scenario.layout.lines
        ],
        "zones": [{"name": z.name, "polygon": z.vertices_m.tolist()} for z in zones],
        "heatmap_grid": {
            "origin_m": list(grid.origin_m),
            "cell_m": grid.cell_m,
            "n_cols": grid.n_cols,
            "n_rows": grid.n_rows,
        },
        "people": [
            {
                "pid": p.pid,
                "role": p.role,
                "height_m": p.appearance.height_m,
                "pushing": p.pushing,
                "group": p.group,
            }
            for k, p in enumerate(people)
            if present[k].any()
        ],
        "crossings": [
            {
                "line": c.line,
                "direction": c.direction,
                "t_s": _r(c.t_s, 4),
                "pid": c.pid,
                "point_m": [_r(c.point_m[0], 4), _r(c.point_m[1], 4)],
            }
            for c in crossings
        ],
        "zone_visits": visits,
        "heatmap": _heatmap(grid, cells, settings.fps),
        "flows": _flows(visits, 0.0, settings.duration_s),
        "buckets": buckets,
        "frames": frames,
    }


def zones_names(scenario: Scenario) -> list[str]:
    """The scenario's zone names in config order."""
    return [z.name for z in scenario.layout.zones]


def _frames(
    camera: CameraModel,
    people: list[Person],
    times: npt.NDArray[np.float64],
    positions: npt.NDArray[np.float64],
    present: npt.NDArray[np.bool_],
) -> list[list[Any]]:
    heads = np.full(positions.shape, np.nan)
    for k, person in enumerate(people):
        if present[k].any():
            heads[k, present[k]] = camera.floor_to_pixels(
                positions[k, present[k]], person.appearance.height_m
            )
    frames: list[list[Any]] = []
    for i, t in enumerate(times):
        rows = []
        for k in (int(j) for j in np.flatnonzero(present[:, i])):
            u, v = heads[k, i]
            seen = bool(camera.in_image([[u, v]])[0]) if np.isfinite([u, v]).all() else False
            rows.append(
                [
                    people[k].pid,
                    _r(positions[k, i, 0], 3),
                    _r(positions[k, i, 1], 3),
                    _r(u, 1) if seen else None,
                    _r(v, 1) if seen else None,
                ]
            )
        frames.append([_r(t, 4), rows])
    return frames


def _zone_visits(
    people: list[Person], times: npt.NDArray[np.float64], inside: dict[str, npt.NDArray[np.bool_]]
) -> list[dict[str, Any]]:
    visits = []
    for zone, mask in inside.items():
        for k, person in enumerate(people):
            row = mask[k].astype(np.int8)
            changes = np.flatnonzero(np.diff(np.concatenate([[0], row, [0]])))
            for enter, leave in zip(changes[::2], changes[1::2], strict=True):
                exit_s = _r(times[leave], 4) if leave < len(times) else None
                visits.append(
                    {"zone": zone, "pid": person.pid, "enter_s": _r(times[enter], 4), "exit_s": exit_s}
                )
    return sorted(visits, key=lambda v: (v["enter_s"], v["zone"], v["pid"]))


def _line_counts(scenario: Scenario, crossings: list[Any]) -> list[dict[str, Any]]:
    out = []
    for line in scenario.layout.lines:
        people_in = sum(1 for c in crossings if c.line == line.name and c.direction == "in")
        people_out = sum(1 for c in crossings if c.line == line.name and c.direction == "out")
        out.append(
            LineCount(line=line.name, people_in=people_in, people_out=people_out).model_dump(by_alias=True)
        )
    return out


def _occupancy(
    inside: dict[str, npt.NDArray[np.bool_]], in_bucket: npt.NDArray[np.bool_]
) -> list[dict[str, Any]]:
    out = []
    for zone, mask in inside.items():
        per_frame = mask[:, in_bucket].sum(axis=0)
        mean = float(per_frame.mean()) if per_frame.size else 0.0
        peak = int(per_frame.max()) if per_frame.size else 0
        out.append(ZoneOccupancy(zone=zone, mean_people=_r(mean, 4), max_people=peak).model_dump())
    return out


def _dwell(zone_names: list[str], ended: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for zone in zone_names:
        stays = [v["exit_s"] - v["enter_s"] for v in ended if v["zone"] == zone]
        bins = []
        for i, low in enumerate(DWELL_EDGES_S):
            high = DWELL_EDGES_S[i + 1] if i + 1 < len(DWELL_EDGES_S) else None
            n = sum(1 for s in stays if s >= low and (high is None or s < high))
            bins.append(DwellBin(min_s=low, max_s=high, people=n))
        out.append(ZoneDwell(zone=zone, bins=bins, withheld_bins=0).model_dump())
    return out


def _heatmap(grid: FloorGrid, cells: npt.NDArray[np.int64], fps: float) -> dict[str, Any]:
    people: dict[int, set[int]] = defaultdict(set)
    frames: dict[int, int] = defaultdict(int)
    for k, row in enumerate(cells):
        for cell in (int(c) for c in row[row >= 0]):
            people[cell].add(k)
            frames[cell] += 1
    out = [
        HeatmapCell(
            ix=cell % grid.n_cols,
            iy=cell // grid.n_cols,
            people=len(people[cell]),
            person_s=_r(frames[cell] / fps, 4),
        ).model_dump()
        for cell in sorted(frames)
    ]
    return {"cell_m": grid.cell_m, "origin_m": list(grid.origin_m), "cells": out}


def _flows(visits: list[dict[str, Any]], start_s: float, end_s: float) -> list[dict[str, Any]]:
    """People who left one zone and whose next zone entered (within [start_s, end_s)) was another."""
    by_person: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for visit in visits:
        by_person[visit["pid"]].append(visit)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for person_visits in by_person.values():
        ordered = sorted(person_visits, key=lambda v: v["enter_s"])
        for before, after in itertools.pairwise(ordered):
            if before["zone"] != after["zone"] and start_s <= after["enter_s"] < end_s:
                counts[(before["zone"], after["zone"])] += 1
    return [Flow(from_zone=a, to_zone=b, people=n).model_dump() for (a, b), n in sorted(counts.items())]


def encode_truth(truth: dict[str, Any]) -> bytes:
    """Canonical JSON bytes of a truth document: compact rows, one top-level key per line."""
    lines = ["{"]
    keys = list(truth)
    for i, key in enumerate(keys):
        comma = "," if i + 1 < len(keys) else ""
        lines.append(f"{json.dumps(key)}:{json.dumps(truth[key], separators=(',', ':'))}{comma}")
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")
