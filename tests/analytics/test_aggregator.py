"""Time buckets: aligned to the wall clock, no gaps, nothing counted twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.analytics.aggregator import BucketAggregator
from agent.types import LineCrossing

START = datetime(2026, 11, 30, 9, 0, 7, tzinfo=UTC)  # 7 s into a minute


def make(bucket_s: int = 60) -> BucketAggregator:
    return BucketAggregator(
        site="s",
        device="d",
        bucket_s=bucket_s,
        line_names=["door", "side"],
        wall_now=lambda: START,
        clock_synced=lambda: True,
    )


def test_buckets_align_to_wall_clock_and_cover_all_crossings() -> None:
    aggregator = make()
    reports = []
    for t in range(0, 200):  # 200 s, one frame a second, starting at 09:00:07
        crossings = [LineCrossing("door", "in" if t % 3 else "out", float(t))] if t % 10 == 0 else []
        reports += aggregator.add(float(t), crossings)
    reports += aggregator.flush()
    starts = [r.bucket_start.strftime("%H:%M:%S") for r in reports]
    assert starts == ["09:00:00", "09:01:00", "09:02:00", "09:03:00"]
    assert sum(r.lines[0].people_in + r.lines[0].people_out for r in reports) == 20
    assert [r.lines[1].people_in for r in reports] == [0, 0, 0, 0], "every configured line is reported"
    assert reports[0].observed_s == pytest.approx(53.0)  # from :07 to the end of the minute
    assert reports[1].observed_s == 60.0
    assert reports[-1].observed_s == pytest.approx(26.0)  # 09:03:00 to the last frame at 09:03:26


def test_stalled_source_reports_empty_buckets_in_between() -> None:
    aggregator = make(bucket_s=10)
    reports = aggregator.add(0.0, [LineCrossing("door", "in", 0.0)])
    reports += aggregator.add(45.0, [])  # 45 s without frames
    reports += aggregator.flush()
    starts = [r.bucket_start.second for r in reports]
    assert starts == [0, 10, 20, 30, 40, 50]
    assert [r.observed_s for r in reports[1:4]] == [0.0, 0.0, 0.0]
    assert reports[0].lines[0].people_in == 1


def test_bad_bucket_is_refused() -> None:
    with pytest.raises(ValueError, match="bucket_s is 0"):
        make(bucket_s=0)
