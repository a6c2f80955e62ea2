"""Time buckets: line crossings summed per bucket and turned into `counts` reports.

Bucket starts are aligned to multiples of `bucket_s` on the wall clock (a
one-minute bucket starts at :00), so reports from many devices line up.
Frame times are mapped to wall time through one anchor taken at the first
frame, so a wall-clock step during a run moves no bucket boundary.
Every bucket from the first frame to the last is reported, with zeros where
nobody crossed: a gap in the data means loss, never "nobody came".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from agent.publish.payloads import CountsReport, LineCount
from agent.types import LineCrossing

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class _Bucket:
    start_epoch_s: int
    observed_from_epoch_s: float  # first observed moment within the bucket
    last_epoch_s: float  # last frame seen in the bucket
    clock_synced: bool
    counts: dict[str, list[int]] = field(default_factory=dict)


class CountsAggregator:
    """Sums crossings per line and bucket and emits a `CountsReport` when a bucket closes.

    `seq` in the reports is 0: the outbox assigns the real sequence number.

    Raises:
        ValueError: `bucket_s` < 1 or no line names.
    """

    def __init__(
        self,
        *,
        site: str,
        device: str,
        bucket_s: int,
        line_names: Sequence[str],
        wall_now: Callable[[], datetime],
        clock_synced: Callable[[], bool],
    ) -> None:
        if bucket_s < 1:
            raise ValueError(f"bucket_s is {bucket_s}, should be >= 1")
        self._site, self._device, self._bucket_s = site, device, bucket_s
        self._line_names = list(line_names)
        self._wall_now = wall_now
        self._clock_synced = clock_synced
        self._anchor: tuple[float, float] | None = None  # (t_s, wall epoch seconds) at the first frame
        self._bucket: _Bucket | None = None

    def _epoch_s(self, t_s: float) -> float:
        if self._anchor is None:
            self._anchor = (t_s, (self._wall_now() - _EPOCH).total_seconds())
        return self._anchor[1] + (t_s - self._anchor[0])

    def _bucket_start(self, t_s: float) -> int:
        return math.floor(self._epoch_s(t_s) / self._bucket_s) * self._bucket_s

    def add(self, t_s: float, crossings: Sequence[LineCrossing]) -> list[CountsReport]:
        """Record a frame at `t_s` and its crossings; return the reports of buckets it closed."""
        epoch_s = self._epoch_s(t_s)
        start = self._bucket_start(t_s)
        reports: list[CountsReport] = []
        previous = self._bucket
        if previous is not None and start != previous.start_epoch_s:
            next_start = previous.start_epoch_s + self._bucket_s
            stalled = start != next_start
            # A bucket closed by the next frame was watched to its end, unless the source stalled.
            reports.append(self._close(previous, previous.last_epoch_s if stalled else next_start))
            for empty_start in range(next_start, start, self._bucket_s):
                reports.append(
                    self._close(
                        _Bucket(empty_start, empty_start, empty_start, self._clock_synced()), empty_start
                    )
                )
            self._bucket = _Bucket(start, epoch_s if stalled else start, epoch_s, self._clock_synced())
        elif previous is None:
            self._bucket = _Bucket(start, epoch_s, epoch_s, self._clock_synced())
        bucket = self._bucket
        assert bucket is not None
        bucket.last_epoch_s = epoch_s
        for crossing in crossings:
            counts = bucket.counts.setdefault(crossing.line, [0, 0])
            counts[0 if crossing.direction == "in" else 1] += 1
        return reports

    def flush(self) -> list[CountsReport]:
        """Close the current (partial) bucket, at stop: it was watched up to the last frame."""
        if self._bucket is None:
            return []
        report = self._close(self._bucket, self._bucket.last_epoch_s)
        self._bucket = None
        return [report]

    def _close(self, bucket: _Bucket, observed_until_epoch_s: float) -> CountsReport:
        def count(name: str, index: int) -> int:
            return bucket.counts.get(name, [0, 0])[index]

        return CountsReport(
            site=self._site,
            device=self._device,
            bucket_start=_EPOCH + timedelta(seconds=bucket.start_epoch_s),
            bucket_s=self._bucket_s,
            observed_s=round(max(0.0, observed_until_epoch_s - bucket.observed_from_epoch_s), 3),
            seq=0,
            clock_synced=bucket.clock_synced,
            lines=[
                LineCount(line=name, people_in=count(name, 0), people_out=count(name, 1))
                for name in self._line_names
            ],
        )
