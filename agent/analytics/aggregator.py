"""Time buckets: what each bucket saw, turned into reports when it closes.

What a bucket holds (crossings, zone samples, visits, heatmap time) and the
reports it becomes live in `BucketContents`; this module decides when
buckets start and close, on which timeline.

Bucket starts are aligned to multiples of `bucket_s` on the wall clock (a
one-minute bucket starts at :00), so reports from many devices line up.
Frame times are mapped to wall time through one anchor taken at the first
frame, so a wall-clock step during a run moves no bucket boundary.
Every bucket from the first frame to the last is reported, with zeros where
nobody crossed: a gap in the data means loss, never "nobody came".

Keys never repeat. A subscriber stores reports on (device, kind, bucket
start), so a run must never emit a bucket start that an earlier run (or
this one) already used, even after a restart inside the same bucket or a
wall clock that is wrong before NTP. The outbox remembers the last bucket
start it ever stored, and the aggregator starts after it:

- with a synchronised clock, bucket starts are clamped to after the last
  synchronised one: a restart inside a bucket counts the rest of that
  bucket into the next one (never more than one bucket's worth);
- with an unsynchronised clock (whose time means little until NTP), the
  anchor is shifted by whole buckets so the first bucket follows the last
  one stored, keeping every later bucket distinct.

When the clock synchronises mid-run, `resync` moves the run onto the true
time by a whole number of buckets (so already-made reports can be moved by
the same amount) and re-anchors; the bucket straddling the step is
continued or closed, never repeated, and no bucket is skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from agent.analytics.bucket_contents import BucketContents, BucketHeader
from agent.analytics.zones import ZoneUpdate
from agent.publish.payloads import BucketReport
from agent.types import LineCrossing, Tracks

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class _Bucket:
    start_epoch_s: int
    observed_from_epoch_s: float  # first observed moment within the bucket
    last_epoch_s: float  # last frame seen in the bucket
    clock_synced: bool


class BucketAggregator:
    """Feeds each update into the current bucket and emits its reports when it closes.

    With only `line_names`, a bucket makes one `counts` report; pass
    `contents` for zones and the heatmap as well.

    `seq` in the reports is 0: the outbox assigns the real sequence number.
    `last_start_epoch_s` / `last_synced_start_epoch_s` are the last bucket
    starts (Unix seconds) ever stored, any and synchronised; no bucket at or
    before them is emitted (see the module docstring). `clock_synced` is read
    when the anchor is taken; a run stays synchronised once it is.

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
        last_start_epoch_s: int | None = None,
        last_synced_start_epoch_s: int | None = None,
        contents: BucketContents | None = None,
    ) -> None:
        if bucket_s < 1:
            raise ValueError(f"bucket_s is {bucket_s}, should be >= 1")
        self._site, self._device, self._bucket_s = site, device, bucket_s
        self._contents = contents or BucketContents(
            line_names=line_names, zone_names=[], grid=None, min_people_k=1
        )
        self._wall_now = wall_now
        self._clock_synced = clock_synced
        self._anchor: tuple[float, float] | None = None  # (t_s, wall epoch seconds) at the first frame
        self._bucket: _Bucket | None = None
        self._last_start = last_start_epoch_s
        self._last_synced_start = last_synced_start_epoch_s
        self._synced = False
        self._min_start: int | None = None  # clamp: no bucket starts before this
        self.first_start_epoch_s: int | None = None

    @property
    def synced(self) -> bool:
        """Whether this run's bucket starts come from a synchronised clock."""
        return self._synced

    def _take_anchor(self, t_s: float) -> None:
        wall_s = (self._wall_now() - _EPOCH).total_seconds()
        self._synced = self._clock_synced()
        grid = math.floor(wall_s / self._bucket_s) * self._bucket_s
        if self._synced:
            if self._last_synced_start is not None:
                self._min_start = self._last_synced_start + self._bucket_s
        elif self._last_start is not None and grid <= self._last_start:
            wall_s += self._last_start + self._bucket_s - grid
        self._anchor = (t_s, wall_s)

    def _epoch_s(self, t_s: float) -> float:
        if self._anchor is None:
            self._take_anchor(t_s)
        assert self._anchor is not None
        return self._anchor[1] + (t_s - self._anchor[0])

    def _bucket_start(self, t_s: float) -> int:
        start = math.floor(self._epoch_s(t_s) / self._bucket_s) * self._bucket_s
        return start if self._min_start is None else max(start, self._min_start)

    def resync(
        self, t_s: float, wall_now: datetime, first_start_epoch_s: int | None, after_epoch_s: int | None
    ) -> int:
        """The clock just synchronised at frame time `t_s`: move onto true time; return the shift.

        The shift (seconds, a whole number of buckets) is what every report of
        this run made so far must be moved by; the current bucket is moved by it
        here. `first_start_epoch_s` is the earliest such report still to be
        moved, and `after_epoch_s` a bucket start that every moved one must
        exceed (the last synchronised one stored, or one already sent). Later
        buckets follow the synchronised wall clock.
        """
        true_s = (wall_now - _EPOCH).total_seconds()
        if self._anchor is None:
            self._synced = True
            return 0
        shift = math.floor((true_s - self._epoch_s(t_s)) / self._bucket_s) * self._bucket_s
        first = first_start_epoch_s
        if self._bucket is not None:
            first = self._bucket.start_epoch_s if first is None else min(first, self._bucket.start_epoch_s)
        if first is not None and after_epoch_s is not None and first + shift <= after_epoch_s:
            shift = after_epoch_s + self._bucket_s - first
        self._anchor = (t_s, true_s)
        self._synced = True
        self._min_start = None
        if self._bucket is not None:
            bucket = self._bucket
            bucket.start_epoch_s += shift
            bucket.clock_synced = True
            # Observed times restart on the new timeline at this frame.
            bucket.observed_from_epoch_s = max(
                bucket.start_epoch_s, true_s - (bucket.last_epoch_s - bucket.observed_from_epoch_s)
            )
            bucket.last_epoch_s = true_s
            self._min_start = bucket.start_epoch_s
        if self._min_start is None and first is not None:
            self._min_start = first + shift
        return shift

    def add(
        self,
        t_s: float,
        crossings: Sequence[LineCrossing],
        tracks: Tracks | None = None,
        zones: ZoneUpdate | None = None,
        present_s: float = 0.0,
    ) -> list[BucketReport]:
        """Record an update at `t_s`; return the reports of the buckets it closed."""
        epoch_s = self._epoch_s(t_s)
        start = self._bucket_start(t_s)
        if self.first_start_epoch_s is None:
            self.first_start_epoch_s = start
        reports: list[BucketReport] = []
        previous = self._bucket
        if previous is not None and start != previous.start_epoch_s:
            next_start = previous.start_epoch_s + self._bucket_s
            stalled = start != next_start
            # A bucket closed by the next frame was watched to its end, unless the source stalled.
            reports += self._close(previous, previous.last_epoch_s if stalled else next_start)
            for empty_start in range(next_start, start, self._bucket_s):
                reports += self._close(
                    _Bucket(empty_start, empty_start, empty_start, self._synced), empty_start
                )
            self._bucket = _Bucket(start, max(start, epoch_s) if stalled else start, epoch_s, self._synced)
        elif previous is None:
            self._bucket = _Bucket(start, max(start, epoch_s), epoch_s, self._synced)
        bucket = self._bucket
        assert bucket is not None
        bucket.last_epoch_s = epoch_s
        self._contents.add(crossings, tracks, zones, present_s)
        return reports

    def flush(self) -> list[BucketReport]:
        """Close the current (partial) bucket, at stop: it was watched up to the last frame."""
        if self._bucket is None:
            return []
        reports = self._close(self._bucket, self._bucket.last_epoch_s)
        self._bucket = None
        return reports

    def _close(self, bucket: _Bucket, observed_until_epoch_s: float) -> list[BucketReport]:
        header = BucketHeader(
            site=self._site,
            device=self._device,
            bucket_start=_EPOCH + timedelta(seconds=bucket.start_epoch_s),
            bucket_s=self._bucket_s,
            observed_s=round(max(0.0, observed_until_epoch_s - bucket.observed_from_epoch_s), 3),
            clock_synced=bucket.clock_synced,
        )
        return self._contents.close(header)
