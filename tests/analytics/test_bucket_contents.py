"""Bucket contents: every report kind, and privacy for people walking alone."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from agent.analytics.bucket_contents import BucketContents, BucketHeader
from agent.analytics.config import ZoneConfig
from agent.analytics.lines import LineCounter
from agent.analytics.zones import ZoneWatcher
from agent.geometry.grid import FloorGrid
from agent.geometry.shapes import FloorLine
from agent.types import Tracks

HEADER = BucketHeader("s1", "d1", datetime(2026, 11, 30, 9, 0, tzinfo=UTC), 60, 60.0, True)
ENTRANCE = ZoneConfig(name="entrance", polygon=[(0, 0), (4, 0), (4, 2), (0, 2)], enter_s=0.3, exit_s=1.0)
SHELF = ZoneConfig(name="shelf", polygon=[(0, 3), (4, 3), (4, 5), (0, 5)], enter_s=0.3, exit_s=1.0)
DOOR = FloorLine("door", (0.0, 1.0), (4.0, 1.0), "left")


def walk(contents: BucketContents, people: int) -> None:
    """`people` walk in single file (0.8 m apart) over the door line, through the entrance to the shelf."""
    watcher = ZoneWatcher([ENTRANCE, SHELF])
    counter = LineCounter(DOOR, 0.2)
    ids = np.arange(1, people + 1)
    for i in range(100):
        y = -0.5 + i * 0.075  # 1.5 m/s at 20 Hz
        positions = np.column_stack([np.full(people, 1.2), y - 0.8 * (ids - 1)])
        tracks = Tracks(i * 0.05, ids, positions)
        contents.add(counter.update(tracks), tracks, watcher.update(tracks))
    ended = Tracks(100 * 0.05, np.zeros(0, np.int64), np.zeros((0, 2)), ended_ids=tuple(ids.tolist()))
    contents.add(counter.update(ended), ended, watcher.update(ended))


def make() -> BucketContents:
    return BucketContents(
        line_names=["door"],
        zone_names=["entrance", "shelf"],
        grid=FloorGrid((0.0, 0.0), 0.5, 8, 12),
        min_people_k=3,
    )


def test_one_person_alone_is_counted_but_never_in_heatmap_flows_or_dwell() -> None:
    """Issue 7, must show 4: k = 3."""
    contents = make()
    walk(contents, 1)
    reports = {r.kind: r for r in contents.close(HEADER)}
    assert reports["counts"].lines[0].people_in == 1  # type: ignore[attr-defined]
    assert reports["heatmap"].cells == [] and reports["heatmap"].withheld_cells > 0  # type: ignore[attr-defined]
    assert reports["flows"].flows == [] and reports["flows"].withheld_flows == 1  # type: ignore[attr-defined]
    assert all(z.bins == [] for z in reports["dwell"].zones)  # type: ignore[attr-defined]
    assert sum(z.withheld_bins for z in reports["dwell"].zones) == 2  # type: ignore[attr-defined]
    text = " ".join(r.to_json() for r in reports.values())
    assert '"people":1' not in text


def test_three_people_together_are_published() -> None:
    contents = make()
    walk(contents, 3)
    reports = {r.kind: r for r in contents.close(HEADER)}
    assert reports["counts"].lines[0].people_in == 3  # type: ignore[attr-defined]
    assert [(f.from_zone, f.to_zone, f.people) for f in reports["flows"].flows] == [("entrance", "shelf", 3)]  # type: ignore[attr-defined]
    assert any(c.people == 3 for c in reports["heatmap"].cells)  # type: ignore[attr-defined]
    shelf = next(z for z in reports["dwell"].zones if z.zone == "shelf")  # type: ignore[attr-defined]
    assert [b.people for b in shelf.bins] == [3]
    occupancy = {z.zone: z for z in reports["occupancy"].zones}  # type: ignore[attr-defined]
    assert occupancy["shelf"].max_people == 3


def test_close_starts_an_empty_bucket() -> None:
    contents = make()
    walk(contents, 3)
    contents.close(HEADER)
    reports = {r.kind: r for r in contents.close(HEADER)}
    assert reports["counts"].lines[0].people_in == 0  # type: ignore[attr-defined]
    assert reports["heatmap"].cells == [] and reports["heatmap"].withheld_cells == 0  # type: ignore[attr-defined]
