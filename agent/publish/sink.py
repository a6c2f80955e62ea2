"""Where the pipeline hands its reports: the outbox, a RAM buffer while the disk refuses, clock sync.

The pipeline must go on counting whatever happens to the disk (DESIGN.md
rule 5). When a write fails (disk full, I/O error) the reports stay in
memory and are written, in order, with the next bucket; the error shows in
the status. The memory buffer is bounded: beyond `max_unsaved` the oldest
reports are dropped and counted as evicted, so even a disk that never comes
back costs bounded memory and no silent loss.

Clock: until NTP syncs, this run's reports are held back (not sent) for up
to `hold_unsynced_s`; when the clock syncs they are re-stamped in the outbox
and in memory, and released. A run that never syncs releases them after
the hold (they go with `clock_synced: false`) and at stop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from agent.publish.mqtt import MqttPublisher
from agent.publish.outbox import Outbox, OutboxError
from agent.publish.payloads import BucketReport, OutboxHealth
from agent.runtime.clock import Clock

log = logging.getLogger(__name__)

# Reports kept in RAM while the disk refuses writes: days of one-minute buckets.
DEFAULT_MAX_UNSAVED = 20_000

Resync = Callable[[float, datetime, int | None, int | None], int]
"""`(frame time s, synced wall now, first start to move, start to exceed) -> shift s`.

As `BucketAggregator.resync`."""


class ReportSink:
    """Stores reports for delivery; never raises into the pipeline for a disk problem.

    Raises:
        ValueError: `max_unsaved` < 1 or `hold_unsynced_s` < 0.
    """

    def __init__(
        self,
        outbox: Outbox,
        publisher: MqttPublisher,
        clock: Clock,
        *,
        run_id: str,
        hold_unsynced_s: float,
        max_unsaved: int = DEFAULT_MAX_UNSAVED,
    ) -> None:
        if max_unsaved < 1:
            raise ValueError(f"max_unsaved is {max_unsaved}, should be >= 1")
        if hold_unsynced_s < 0:
            raise ValueError(f"hold_unsynced_s is {hold_unsynced_s}, should be >= 0")
        self._outbox = outbox
        self._publisher = publisher
        self._clock = clock
        self._run_id = run_id
        self._hold_s = hold_unsynced_s
        self._max_unsaved = max_unsaved
        self._unsaved: list[BucketReport] = []
        self._dropped = 0  # dropped from RAM, not yet added to the outbox's evicted counter
        self._write_error: str | None = None
        self._hold_until_mono_s: float | None = None
        self._synced = clock.is_synced()
        self.stored = 0

    @property
    def synced(self) -> bool:
        """Whether the clock has been seen synchronised during this run."""
        return self._synced

    def start(self) -> None:
        """At run start: hold this run's reports if the clock is not synchronised yet."""
        if not self._synced and self._hold_s > 0:
            self._hold_until_mono_s = self._clock.monotonic_s() + self._hold_s
            self._publisher.hold(self._run_id)
            log.info("clock not synchronised: holding reports up to %.0f s to re-stamp them", self._hold_s)

    def poll_clock(self, t_s: float, resync: Resync) -> None:
        """Call once per frame (frame time `t_s`): re-stamps on the first sign of sync, ends an expired hold."""
        if not self._synced and self._clock.is_synced():
            self._synced = True
            self._on_sync(t_s, resync)
        if self._hold_until_mono_s is not None and self._clock.monotonic_s() >= self._hold_until_mono_s:
            log.warning(
                "clock still not synchronised after %.0f s: sending reports with clock_synced=false",
                self._hold_s,
            )
            self._release()

    def _on_sync(self, t_s: float, resync: Resync) -> None:
        try:
            first, after = self._outbox.restamp_bounds()
        except OutboxError as exc:
            log.error("%s; reports stay unsynchronised", exc)
            self._release()
            return
        ram_starts = [r.bucket_start for r in self._unsaved if not r.clock_synced]
        if ram_starts:
            ram_first = int(min(ram_starts).timestamp())
            first = ram_first if first is None else min(first, ram_first)
        shift_s = resync(t_s, self._clock.wall(), first, after)
        self._unsaved = [
            r
            if r.clock_synced
            else r.model_copy(
                update={"bucket_start": r.bucket_start + timedelta(seconds=shift_s), "clock_synced": True}
            )
            for r in self._unsaved
        ]
        try:
            moved = self._outbox.restamp(shift_s)
        except OutboxError as exc:
            log.error("%s; reports stay unsynchronised", exc)
            moved = 0
        log.info("clock synchronised: %d stored report(s) re-stamped by %+d s", moved, shift_s)
        self._release()

    def _release(self) -> None:
        self._hold_until_mono_s = None
        self._publisher.release_hold()

    def store(self, reports: Sequence[BucketReport]) -> int:
        """Write reports (after any kept in RAM) in one transaction; return how many were written.

        Only called with new reports does it touch the disk, so a refusing disk is retried
        once per bucket, never in a tight loop.
        """
        if not reports:
            return 0
        batch = [*self._unsaved, *reports]
        if len(batch) > self._max_unsaved:
            excess = len(batch) - self._max_unsaved
            self._dropped += excess
            log.error("%d report(s) dropped from memory (disk refusing writes); counted as evicted", excess)
            batch = batch[excess:]
        now_s = self._clock.wall().timestamp() if self._synced else None
        try:
            seqs = self._outbox.add(batch, now_epoch_s=now_s, dropped=self._dropped)
        except OutboxError as exc:
            if self._write_error is None:
                log.error("%s; %d report(s) kept in memory, retrying at every bucket", exc, len(batch))
            self._write_error = str(exc)
            self._unsaved = batch
            return 0
        if self._write_error is not None:
            log.info("outbox writable again: %d report(s) from memory stored", len(batch))
        self._write_error = None
        self._unsaved = []
        self._dropped = 0
        for report, seq in zip(batch, seqs, strict=True):
            log.info(
                "stored %s report seq=%d for bucket %s", report.kind, seq, report.bucket_start.isoformat()
            )
        self._publisher.notify()
        self.stored += len(batch)
        return len(batch)

    def finish(self) -> None:
        """At stop: nothing more will be re-stamped by this run, so let everything go."""
        self._release()

    def health(self) -> OutboxHealth:
        """The `outbox` part of the status payload.

        Raises:
            OutboxError: the outbox cannot be read.
        """
        stats = self._outbox.stats()
        return OutboxHealth(
            pending=stats.depth,
            evicted=stats.evicted + self._dropped,
            unsaved=len(self._unsaved),
            write_error=self._write_error,
            resets=stats.resets,
        )
