"""What one time bucket holds, and the reports it becomes when it closes.

`BucketContents` collects a bucket's crossings, zone samples, finished
visits, transitions and heatmap time, then turns them into the `counts`,
`occupancy`, `dwell`, `heatmap` and `flows` reports. Privacy is applied
here, at the only place where per-person facts become aggregates: heatmap
cells, flows and dwell bins seen by fewer than k distinct people are
withheld and only their number is reported; track ids are used to count
distinct people and dropped with the bucket.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from agent.analytics.heatmap import HeatmapAccumulator
from agent.analytics.privacy import suppress_small
from agent.analytics.zones import ZoneUpdate
from agent.geometry.grid import FloorGrid
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
    ZoneDwell,
    ZoneOccupancy,
)
from agent.types import LineCrossing, Tracks

# Dwell histogram edges, seconds: a glance, a look, a choice, a long stay (the simulator's truth uses the same).
DWELL_EDGES_S: tuple[float, ...] = (0.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0)


class _Common(TypedDict):
    site: str
    device: str
    bucket_start: datetime
    bucket_s: int
    observed_s: float
    seq: int
    clock_synced: bool


@dataclass(frozen=True)
class BucketHeader:
    """The fields every report of one bucket shares."""

    site: str
    device: str
    bucket_start: datetime
    bucket_s: int
    observed_s: float
    clock_synced: bool


class BucketContents:
    """Accumulates one bucket. Which reports it makes depends on what is configured.

    `counts` always (one entry per line, zeros included); `occupancy`, `dwell`
    and `flows` when zones are configured; `heatmap` when a grid is given.

    Raises:
        ValueError: `min_people_k` < 1.
    """

    def __init__(
        self,
        *,
        line_names: Sequence[str],
        zone_names: Sequence[str],
        grid: FloorGrid | None,
        min_people_k: int,
        presence_zone: str | None = None,
    ) -> None:
        if min_people_k < 1:
            raise ValueError(f"min_people_k is {min_people_k}, should be >= 1")
        self._line_names = list(line_names)
        self._zone_names = list(zone_names)
        self._k = min_people_k
        self._presence_zone = presence_zone
        self._heatmap = HeatmapAccumulator(grid) if grid is not None else None
        self._reset()

    def _reset(self) -> None:
        self._counts = {name: [0, 0] for name in self._line_names}
        self._occupancy_sum = dict.fromkeys(self._zone_names, 0)
        self._occupancy_max = dict.fromkeys(self._zone_names, 0)
        self._samples = 0
        self._dwell: dict[str, dict[int, set[int]]] = {name: defaultdict(set) for name in self._zone_names}
        self._flows: dict[tuple[str, str], set[int]] = defaultdict(set)
        self._present_s = 0.0

    def add(
        self,
        crossings: Sequence[LineCrossing],
        tracks: Tracks | None,
        zones: ZoneUpdate | None,
        present_s: float = 0.0,
    ) -> None:
        """Add one update's crossings, tracks (for the heatmap), zone update and presence seconds."""
        self._present_s += present_s
        for crossing in crossings:
            self._counts.setdefault(crossing.line, [0, 0])[0 if crossing.direction == "in" else 1] += 1
        if tracks is not None and self._heatmap is not None:
            self._heatmap.update(tracks)
        if zones is None:
            return
        self._samples += 1
        for zone, people in zones.occupancy.items():
            self._occupancy_sum[zone] = self._occupancy_sum.get(zone, 0) + people
            self._occupancy_max[zone] = max(self._occupancy_max.get(zone, 0), people)
        for visit in zones.visits:
            self._dwell.setdefault(visit.zone, defaultdict(set))[_dwell_bin(visit.dwell_s)].add(
                visit.track_id
            )
        for transition in zones.transitions:
            self._flows[(transition.from_zone, transition.to_zone)].add(transition.track_id)

    def close(self, header: BucketHeader) -> list[BucketReport]:
        """The bucket's reports (seq 0: the outbox numbers them); starts a new bucket."""
        common = _Common(
            site=header.site,
            device=header.device,
            bucket_start=header.bucket_start,
            bucket_s=header.bucket_s,
            observed_s=header.observed_s,
            seq=0,
            clock_synced=header.clock_synced,
        )
        reports: list[BucketReport] = [
            CountsReport(
                **common,
                lines=[LineCount(line=n, people_in=c[0], people_out=c[1]) for n, c in self._counts.items()],
            )
        ]
        if self._zone_names:
            reports += [self._occupancy(common), self._dwell_report(common), self._flows_report(common)]
        elif self._presence_zone is not None:
            reports.append(OccupancyReport(**common, zones=[self._presence()]))
        if self._heatmap is not None:
            reports.append(self._heatmap_report(common, self._heatmap))
        self._reset()
        return reports

    def _presence(self) -> ZoneOccupancy:
        assert self._presence_zone is not None
        return ZoneOccupancy(
            zone=self._presence_zone, mean_people=None, max_people=None, occupied_s=round(self._present_s, 3)
        )

    def _occupancy(self, common: _Common) -> OccupancyReport:
        samples = max(1, self._samples)
        zones = [
            ZoneOccupancy(
                zone=z,
                mean_people=round(self._occupancy_sum[z] / samples, 3),
                max_people=self._occupancy_max[z],
            )
            for z in self._zone_names
        ]
        if self._presence_zone is not None:
            zones.append(self._presence())
        return OccupancyReport(**common, zones=zones)

    def _dwell_report(self, common: _Common) -> DwellReport:
        zones = []
        for zone in self._zone_names:
            bins = [
                DwellBin(min_s=DWELL_EDGES_S[i], max_s=_upper(i), people=len(people))
                for i, people in sorted(self._dwell.get(zone, {}).items())
            ]
            kept, withheld = suppress_small(bins, lambda b: b.people, self._k)
            zones.append(ZoneDwell(zone=zone, bins=kept, withheld_bins=withheld))
        return DwellReport(**common, min_people_k=self._k, zones=zones)

    def _flows_report(self, common: _Common) -> FlowsReport:
        flows = [Flow(from_zone=a, to_zone=b, people=len(ids)) for (a, b), ids in sorted(self._flows.items())]
        kept, withheld = suppress_small(flows, lambda f: f.people, self._k)
        return FlowsReport(**common, min_people_k=self._k, flows=kept, withheld_flows=withheld)

    def _heatmap_report(self, common: _Common, heatmap: HeatmapAccumulator) -> HeatmapReport:
        cells = [HeatmapCell(ix=c.ix, iy=c.iy, people=c.people, person_s=c.person_s) for c in heatmap.close()]
        kept, withheld = suppress_small(cells, lambda c: c.people, self._k)
        return HeatmapReport(
            **common,
            cell_m=heatmap.grid.cell_m,
            origin_m=heatmap.grid.origin_m,
            min_people_k=self._k,
            cells=kept,
            withheld_cells=withheld,
        )


def _dwell_bin(dwell_s: float) -> int:
    """Index of the histogram bin holding `dwell_s`."""
    for index in range(len(DWELL_EDGES_S) - 1, -1, -1):
        if dwell_s >= DWELL_EDGES_S[index]:
            return index
    return 0


def _upper(index: int) -> float | None:
    return DWELL_EDGES_S[index + 1] if index + 1 < len(DWELL_EDGES_S) else None
