"""Delivery benchmark: outbox enqueue rate, and draining a 30-day backlog to a local broker.

    python benchmarks/bench_delivery.py [--days 30] [--enqueue 2000]

Prints two tables:
1. enqueue: one-report transactions per second with synchronous FULL and
   NORMAL, and the bytes each one-minute `counts` report takes in the file
   (from which the days the default budget holds follow);
2. drain: a backlog of `days` x 1,440 one-minute `counts` reports published
   at QoS 1 by `MqttPublisher` to a private Mosquitto on this machine, and
   deleted on PUBACK: reports per second, for a few in-flight windows.
Nothing here asserts: it measures, for the README and for regressions.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.publish.config import DEFAULT_MAX_BYTES, MqttConfig
from agent.publish.mqtt import MqttPublisher
from agent.publish.outbox import Outbox
from agent.publish.payloads import CountsReport, LineCount, StatusReport
from tests.helpers.broker import MosquittoBroker

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def report(minute: int) -> CountsReport:
    """A one-minute `counts` report as the agent makes it (site and device ids of a real shop)."""
    return CountsReport(
        site="mechelen-bruul-12",
        device="door-cam-1",
        bucket_start=T0 + timedelta(minutes=minute),
        bucket_s=60,
        observed_s=60.0,
        seq=0,
        clock_synced=True,
        lines=[LineCount(line="door", people_in=minute % 17, people_out=minute % 13)],
    )


def bench_enqueue(directory: Path, count: int, synchronous: Literal["FULL", "NORMAL"]) -> tuple[float, float]:
    """(reports per second, file bytes per report) for `count` one-report transactions."""
    path = directory / f"enqueue-{synchronous}.db"
    outbox = Outbox(path, topic_prefix="footfall/v1", synchronous=synchronous)
    reports = [report(m) for m in range(count)]
    started = time.perf_counter()
    for item in reports:
        outbox.add([item])
    elapsed = time.perf_counter() - started
    outbox.close()
    return count / elapsed, path.stat().st_size / count


def bench_drain(directory: Path, broker: MosquittoBroker, backlog: int, inflight: int) -> float:
    """Reports per second to drain `backlog` stored reports through a real broker."""
    path = directory / f"drain-{inflight}.db"
    outbox = Outbox(path, topic_prefix="footfall/v1", synchronous="FULL")
    batch = 1440
    for start in range(0, backlog, batch):  # one day per transaction: filling is not what we measure
        outbox.add([report(m) for m in range(start, min(backlog, start + batch))])
    stop = threading.Event()
    publisher = MqttPublisher(
        MqttConfig(host=broker.host, port=broker.port),
        outbox,
        client_id=f"bench-{inflight}",
        status_topic="footfall/v1/bench/bench/status",
        status_payload=lambda state: StatusReport(site="bench", device="bench", state="offline").to_json(),
        stop=stop,
        inflight_max=inflight,
    )
    started = time.perf_counter()
    publisher.start()
    drained = publisher.drain(timeout_s=3600)
    elapsed = time.perf_counter() - started
    stop.set()
    publisher.join(5)
    outbox.close()
    if not drained:
        raise SystemExit(f"backlog not drained within an hour ({outbox.path})")
    return backlog / elapsed


def main() -> None:
    """Run both benchmarks and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--days", type=int, default=30, help="backlog length in days of one-minute buckets")
    parser.add_argument("--enqueue", type=int, default=2000, help="reports to enqueue per mode")
    parser.add_argument(
        "--inflight",
        type=int,
        nargs="+",
        default=[20, 100],
        help="in-flight windows (1 is slow: one fsync per report)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        print("enqueue (one report per transaction, as the agent does per bucket)")
        print(f"{'synchronous':<12} {'reports/s':>10} {'bytes/report':>13} {'days in default budget':>23}")
        for mode in ("FULL", "NORMAL"):
            rate, per_report = bench_enqueue(directory, args.enqueue, mode)
            days = DEFAULT_MAX_BYTES * 0.85 / per_report / 1440
            print(f"{mode:<12} {rate:>10.0f} {per_report:>13.0f} {days:>23.0f}")
        backlog = args.days * 1440
        broker = MosquittoBroker(directory / "mosquitto")
        broker.start()
        try:
            print(
                f"\ndrain of a {args.days}-day backlog ({backlog} one-minute counts reports), QoS 1, local broker"
            )
            print(f"{'in-flight':<10} {'reports/s':>10} {'seconds':>9}")
            for inflight in args.inflight:
                rate = bench_drain(directory, broker, backlog, inflight)
                print(f"{inflight:<10} {rate:>10.0f} {backlog / rate:>9.1f}")
        finally:
            broker.stop()


if __name__ == "__main__":
    main()
