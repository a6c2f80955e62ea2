"""A simulated store's reports, built with the project's own payload models.

Used by the load generator (`benchmarks/bench_collector.py`), the tests and
demos: every report is a real `CountsReport`, `OccupancyReport`, … so it is
valid by construction, and the numbers follow a shop's day (closed at night,
busy at lunch and late afternoon, busier at the weekend). Deterministic for a
given seed. Small counts are withheld as the device would (k = 3).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from agent.publish.layout import LayoutGrid, LayoutLine, LayoutPlacement, LayoutReport, LayoutZone
from agent.publish.payloads import (
    BucketReport,
    CountsReport,
    DwellBin,
    DwellReport,
    Flow,
    FlowsReport,
    HeatmapCell,
    HeatmapReport,
    LineCount,
    OccupancyReport,
    OutboxHealth,
    StatusReport,
    ZoneDwell,
    ZoneOccupancy,
)

K = 3
DWELL_EDGES_S = (0.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
# Relative busyness by local hour (0-23) and weekday (Monday = 0).
HOURLY = [0, 0, 0, 0, 0, 0, 0, 0, 0.2, 0.5, 0.7, 0.9, 1.0, 0.9, 0.7, 0.7, 0.8, 0.9, 0.6, 0.3, 0, 0, 0, 0]
WEEKDAY = [0.8, 0.8, 0.85, 0.9, 1.1, 1.4, 0.6]


@dataclass(frozen=True)
class SimDevice:
    """One device of the simulated store: its zones (name → rectangle x0, y0, x1, y1) and placement."""

    device: str
    zones: dict[str, tuple[float, float, float, float]]
    offset_m: tuple[float, float] = (0.0, 0.0)
    rotation_deg: float = 0.0
    peak_per_hour: float = 60.0


DEFAULT_DEVICES = (
    SimDevice("door-cam", {"entrance": (0, 0, 6, 2), "promo": (1, 2.5, 4, 4.5)}, (0.0, 0.0), 0.0, 80.0),
    SimDevice("aisle-cam", {"shelves": (0, 0, 3, 5), "checkout": (3.5, 0, 6, 2.5)}, (12.0, 0.0), 90.0, 50.0),
)


def _rect(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


class SimulatedStore:
    """Reports of `devices` at `site` for `days` days from local midnight of `first_day`, one per `bucket_s`."""

    def __init__(
        self,
        site: str,
        *,
        first_day: datetime,
        days: int,
        timezone: str = "Europe/Amsterdam",
        bucket_s: int = 3600,
        devices: tuple[SimDevice, ...] = DEFAULT_DEVICES,
        seed: int = 1,
    ) -> None:
        if bucket_s < 60 or 3600 % bucket_s:
            raise ValueError(f"bucket_s is {bucket_s}, should divide 3600 and be >= 60")
        if days < 1:
            raise ValueError(f"days is {days}, should be >= 1")
        self.site = site
        self.timezone = timezone
        self.bucket_s = bucket_s
        self.devices = devices
        local = first_day.replace(tzinfo=ZoneInfo(timezone), hour=0, minute=0, second=0, microsecond=0)
        self.start = local.astimezone(UTC)
        self.end = (local + timedelta(days=days)).astimezone(UTC)
        self._seed = seed

    def layouts(self) -> list[LayoutReport]:
        """The retained layout of every device."""
        return [
            LayoutReport(
                site=self.site,
                device=d.device,
                floor_polygon_m=_rect(0, 0, 6, 5),
                lines=[LayoutLine(name="door", start_m=(0.5, 0.3), end_m=(5.5, 0.3))],
                zones=[LayoutZone(name=name, polygon_m=_rect(*box)) for name, box in d.zones.items()],
                heatmap=LayoutGrid(origin_m=(0.0, 0.0), cell_m=0.5, n_cols=12, n_rows=10),
                placement=LayoutPlacement(offset_m=d.offset_m, rotation_deg=d.rotation_deg),
            )
            for d in self.devices
        ]

    def statuses(self, pending: int = 0) -> list[StatusReport]:
        """An `online` status of every device with `pending` reports in its outbox."""
        return [
            StatusReport(
                site=self.site,
                device=d.device,
                state="online",
                sent_at=self.end,
                clock_synced=True,
                agent_version="0.1.0",
                uptime_s=3600.0,
                outbox=OutboxHealth(pending=pending, evicted=0),
            )
            for d in self.devices
        ]

    def reports(self) -> Iterator[BucketReport]:
        """Every bucket report of every device, in time order."""
        rng = random.Random(self._seed)
        seqs = {d.device: 0 for d in self.devices}
        t = self.start
        while t < self.end:
            local = t.astimezone(ZoneInfo(self.timezone))
            level = HOURLY[local.hour] * WEEKDAY[local.weekday()] * self.bucket_s / 3600
            for d in self.devices:
                for report in _bucket(self.site, d, t, self.bucket_s, level, rng, seqs[d.device]):
                    yield report
                    seqs[d.device] += 1
            t += timedelta(seconds=self.bucket_s)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _bucket(
    site: str, d: SimDevice, start: datetime, bucket_s: int, level: float, rng: random.Random, seq: int
) -> list[BucketReport]:
    common = {"site": site, "device": d.device, "bucket_start": start, "bucket_s": bucket_s,
              "observed_s": float(bucket_s), "clock_synced": True}  # fmt: skip
    people_in = _poisson(rng, d.peak_per_hour * level)
    people_out = _poisson(rng, d.peak_per_hour * level)
    reports: list[BucketReport] = [
        CountsReport(
            **common, seq=seq, lines=[LineCount(line="door", people_in=people_in, people_out=people_out)]
        )
    ]
    zones, dwell_zones = [], []
    for index, zone in enumerate(d.zones):
        mean = round(level * (3.0 + 2 * index) * rng.uniform(0.8, 1.2), 3)
        zones.append(ZoneOccupancy(zone=zone, mean_people=mean, max_people=math.ceil(mean * 2)))
        bins, withheld = [], 0
        for b, low in enumerate(DWELL_EDGES_S):
            people = _poisson(rng, people_in * (0.5 if b < 2 else 0.25 / (b - 0.5)) * (1 + index))
            if people == 0:
                continue
            if people < K:
                withheld += 1
                continue
            high = DWELL_EDGES_S[b + 1] if b + 1 < len(DWELL_EDGES_S) else None
            bins.append(DwellBin(min_s=low, max_s=high, people=people))
        dwell_zones.append(ZoneDwell(zone=zone, bins=bins, withheld_bins=withheld))
    reports.append(OccupancyReport(**common, seq=seq + 1, zones=zones))
    reports.append(DwellReport(**common, seq=seq + 2, min_people_k=K, zones=dwell_zones))
    names = list(d.zones)
    flows, withheld_flows = [], 0
    for source in names:
        for target in names:
            if source != target:
                people = _poisson(rng, people_in * (0.6 if source < target else 0.3))
                if people >= K:
                    flows.append(Flow(from_zone=source, to_zone=target, people=people))
                elif people:
                    withheld_flows += 1
    reports.append(
        FlowsReport(**common, seq=seq + 3, min_people_k=K, flows=flows, withheld_flows=withheld_flows)
    )
    cells, withheld_cells = [], 0
    for iy in range(10):
        for ix in range(12):
            # A hot spot near the zone of most interest, fading with distance.
            x0, y0, x1, y1 = next(iter(d.zones.values())) if ix < 6 else list(d.zones.values())[-1]
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            distance = math.hypot((ix + 0.5) * 0.5 - cx, (iy + 0.5) * 0.5 - cy)
            people = _poisson(rng, people_in * 0.5 * math.exp(-distance / 1.5))
            if people >= K:
                cells.append(
                    HeatmapCell(ix=ix, iy=iy, people=people, person_s=round(people * rng.uniform(4, 40), 1))
                )
            elif people:
                withheld_cells += 1
    reports.append(
        HeatmapReport(
            **common,
            seq=seq + 4,
            cell_m=0.5,
            origin_m=(0.0, 0.0),
            min_people_k=K,
            cells=cells,
            withheld_cells=withheld_cells,
        )
    )
    return reports
