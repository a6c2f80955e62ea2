"""Must show 4: a really full disk (ENOSPC from an 8 MiB tmpfs) is survived, then everything goes out.

The outbox lives on a tmpfs the test mounts (root only; CI runs as root).
With the broker down the outbox must grow; a filler file takes every free
byte, so SQLite's writes fail with SQLITE_FULL. The agent must keep
counting (reports held in memory), log the refusal once rather than loop,
and when the filler is deleted store everything and deliver it: every
bucket from the first to the last, contiguous, nothing evicted.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.helpers.broker import MosquittoBroker
from tests.helpers.subscriber import Subscriber
from tests.publish.agent_process import (
    agent_args,
    dedupe,
    outbox_rows,
    render_short_clip,
    start_agent,
    stop_agent,
    stored_seqs,
    wait_for_log,
)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root (CI runs as root)")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(path: Path) -> None:
    """Write until the filesystem says ENOSPC."""
    with contextlib.suppress(OSError), open(path, "wb") as filler:
        while True:
            filler.write(b"\0" * 4096)
            filler.flush()


@pytest.mark.slow
def test_disk_full_neither_crashes_nor_loops_and_delivers_everything_after(
    tmp_path: Path, small_disk: Path
) -> None:
    broker = MosquittoBroker(tmp_path / "mosquitto", persistent=True)
    broker.start()
    subscriber = Subscriber(broker.host, broker.port, client_id="central", session_expiry_s=600)
    broker.stop()
    clip = render_short_clip(tmp_path / "clip.avi")
    outbox, log = small_disk / "outbox.db", tmp_path / "agent.log"
    # A 2 MiB budget keeps the WAL (an eighth of it) small next to the 8 MiB disk.
    args = agent_args(clip, outbox, broker.port, "outbox.max_bytes=2097152", duration_s=120)
    agent = start_agent(args, log)
    try:
        assert wait_for_log(log, "stored counts report", 30), log.read_text()
        _fill(small_disk / "filler")
        assert wait_for_log(log, "disk is full", 30), log.read_text()[-2000:]
        refused_at = len(stored_seqs(log))
        time.sleep(3.0)  # many buckets while full
        assert agent.poll() is None, "the agent died on a full disk"
        assert len(stored_seqs(log)) == refused_at, "nothing can be stored while the disk is full"
        refusals = log.read_text().count("kept in memory")
        (small_disk / "filler").unlink()
        assert wait_for_log(log, "outbox writable again", 30), log.read_text()[-2000:]
        assert stop_agent(agent, log, 60) == 0, log.read_text()[-3000:]
        # The publisher backed off while the broker was away; the next start sends at once.
        broker.start()
        final = start_agent(agent_args(clip, outbox, broker.port, duration_s=1.0), log)
        assert final.wait(60) == 0, log.read_text()[-2000:]
        pending, counters = outbox_rows(outbox)
        produced = counters["next_seq"]
        delivered = dedupe(subscriber.wait_for("counts", produced, timeout_s=30))
    finally:
        if agent.poll() is None:
            agent.kill()
        subscriber.close()
        broker.stop()
    assert refusals == 1, "a full disk is reported once, not in a loop"
    assert pending == [] and counters["evicted"] == 0
    assert sorted(r["seq"] for r in delivered.values()) == list(range(produced))
    starts = sorted(datetime.strptime(r["bucket_start"], "%Y-%m-%dT%H:%M:%SZ") for r in delivered.values())
    gaps = {(b - a).total_seconds() for a, b in itertools.pairwise(starts)}
    assert gaps == {1.0}, "every one-second bucket from first to last, no gap: nothing lost while full"
    print(f"disk full: {refused_at} stored before ENOSPC, {produced} produced in all, "
          f"{len(delivered)} delivered, 1 refusal logged")  # fmt: skip
