"""The dashboard's questions as SQL, shared by the HTML pages and the CSV downloads.

Every chart is a `Chart`: a title, column names and rows. The page draws it
and the CSV download writes the very same rows, so a figure on screen and in
the file always agree. Times are grouped in SQL by quarter hour of UTC epoch
seconds (every real time-zone offset is a multiple of 15 minutes) and turned
into the site's local hours in Python with `zoneinfo`, so the queries are the
same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from collector.dwell import DwellBinTotal, dwell_percentile
from collector.store import tables as t

QUARTER_S = 900
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class View:
    """What the user looks at: a site, one device or all (None), a local day and a span."""

    site: str
    timezone: str
    day: date
    device: str | None = None
    days: int = 7
    weeks: int = 8

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone."""
        return ZoneInfo(self.timezone)

    def local_range(self, first: date, days: int) -> tuple[int, int]:
        """Epoch seconds of local midnight of `first` and of `days` days later."""
        start = datetime.combine(first, time(0), self.zone)
        end = datetime.combine(first + timedelta(days=days), time(0), self.zone)
        return int(start.timestamp()), int(end.timestamp())


@dataclass(frozen=True)
class Chart:
    """Rows behind one chart; `note` says how figures were made (estimates, units)."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _device_filter(table: Any, view: View) -> list[Any]:
    conditions = [table.c.site == view.site]
    if view.device is not None:
        conditions.append(table.c.device == view.device)
    return conditions


def _counts_by_quarter(engine: Engine, view: View, start: int, end: int) -> list[tuple[int, int, int]]:
    c = t.counts.c
    quarter = (c.bucket_start - c.bucket_start % QUARTER_S).label("quarter")
    statement = (
        select(quarter, func.sum(c.people_in), func.sum(c.people_out))
        .where(*_device_filter(t.counts, view), c.bucket_start >= start, c.bucket_start < end)
        .group_by(quarter)
    )
    with engine.connect() as connection:
        return [(int(q), int(i or 0), int(o or 0)) for q, i, o in connection.execute(statement)]


def _local(view: View, epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).astimezone(view.zone)


def hourly_traffic(engine: Engine, view: View) -> Chart:
    """Visitors in and out per local hour of `view.day`, with the same day a week earlier."""
    rows = {hour: [0, 0, 0, 0] for hour in range(24)}
    for offset, (first, last) in enumerate(
        (view.local_range(view.day, 1), view.local_range(view.day - timedelta(days=7), 1))
    ):
        for quarter, people_in, people_out in _counts_by_quarter(engine, view, first, last):
            hour = _local(view, quarter).hour
            rows[hour][2 * offset] += people_in
            rows[hour][2 * offset + 1] += people_out
    return Chart(
        "hourly",
        f"Visitors per hour on {view.day:%a %d %b %Y} and the same day last week",
        ("hour", "in", "out", "in_last_week", "out_last_week"),
        [(f"{hour:02d}:00", *values) for hour, values in rows.items()],
        note=f"Local time ({view.timezone}); sum over every counting line of the devices shown.",
    )


def daily_traffic(engine: Engine, view: View) -> Chart:
    """Visitors in and out per local day for `view.days` days ending on `view.day`, with the week before."""
    first = view.day - timedelta(days=view.days - 1)
    start, end = view.local_range(first - timedelta(days=7), view.days + 7)
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for quarter, people_in, people_out in _counts_by_quarter(engine, view, start, end):
        totals = per_day[_local(view, quarter).date()]
        totals[0] += people_in
        totals[1] += people_out
    rows = []
    for n in range(view.days):
        day = first + timedelta(days=n)
        now, before = per_day.get(day, [0, 0]), per_day.get(day - timedelta(days=7), [0, 0])
        rows.append((day.isoformat(), WEEKDAYS[day.weekday()], now[0], now[1], before[0], before[1]))
    return Chart(
        "daily",
        f"Visitors per day, {first:%d %b} to {view.day:%d %b %Y}, and the same days last week",
        ("day", "weekday", "in", "out", "in_last_week", "out_last_week"),
        rows,
        note=f"Local days ({view.timezone}).",
    )


def weekday_hour(engine: Engine, view: View) -> Chart:
    """Mean visitors in per local weekday and hour over `view.weeks` weeks ending on `view.day` (0 = all)."""
    if view.weeks > 0:
        start, end = view.local_range(view.day - timedelta(days=7 * view.weeks - 1), 7 * view.weeks)
        span = f"the {view.weeks} weeks to {view.day:%d %b %Y}"
    else:
        start, end = 0, 2**62
        span = "all data"
    totals: dict[tuple[int, int], int] = defaultdict(int)
    days_seen: dict[int, set[date]] = defaultdict(set)
    for quarter, people_in, _ in _counts_by_quarter(engine, view, start, end):
        local = _local(view, quarter)
        totals[(local.weekday(), local.hour)] += people_in
        days_seen[local.weekday()].add(local.date())
    rows = []
    for weekday in range(7):
        n = max(1, len(days_seen[weekday]))
        rows.append((WEEKDAYS[weekday], *(round(totals[(weekday, hour)] / n, 1) for hour in range(24))))
    return Chart(
        "weekday_hour",
        f"Busyness: mean visitors in per weekday and hour, {span}",
        ("weekday", *(f"{h:02d}" for h in range(24))),
        rows,
        note=f"Local time ({view.timezone}); each cell is the mean over the days of that weekday with data.",
    )


def zone_ranking(engine: Engine, view: View) -> Chart:
    """Zones ranked by estimated p90 dwell, with p50, visits and occupancy, over `view.days` days."""
    start, end = view.local_range(view.day - timedelta(days=view.days - 1), view.days)
    d, o = t.dwell.c, t.occupancy.c
    bins = (
        select(d.device, d.zone, d.min_s, d.max_s, func.sum(d.people))
        .where(*_device_filter(t.dwell, view), d.bucket_start >= start, d.bucket_start < end)
        .group_by(d.device, d.zone, d.min_s, d.max_s)
    )
    occupancy = (
        select(
            o.device,
            o.zone,
            func.sum(o.mean_people * o.observed_s),
            func.sum(o.observed_s),
            func.max(o.max_people),
        )
        .where(*_device_filter(t.occupancy, view), o.bucket_start >= start, o.bucket_start < end)
        .group_by(o.device, o.zone)
    )
    histograms: dict[tuple[str, str], list[DwellBinTotal]] = defaultdict(list)
    occupied: dict[tuple[str, str], tuple[float, int]] = {}
    with engine.connect() as connection:
        for device, zone, low, high, people in connection.execute(bins):
            histograms[(device, zone)].append(DwellBinTotal(float(low), high, int(people or 0)))
        for device, zone, weighted, seconds, peak in connection.execute(occupancy):
            occupied[(device, zone)] = (
                float(weighted or 0) / float(seconds) if seconds else 0.0,
                int(peak or 0),
            )
    rows = []
    for key in sorted(set(histograms) | set(occupied)):
        p50 = dwell_percentile(histograms.get(key, []), 0.5)
        p90 = dwell_percentile(histograms.get(key, []), 0.9)
        mean, peak = occupied.get(key, (0.0, 0))
        visits = sum(b.people for b in histograms.get(key, []))
        rows.append(
            (key[0], key[1], p50.label() if p50 else "", p90.label() if p90 else "", visits, round(mean, 2), peak,
             p90.seconds if p90 else -1.0)
        )  # fmt: skip
    rows.sort(key=lambda r: (-r[7], -r[5], r[0], r[1]))
    return Chart(
        "zones",
        f"Zones ranked by dwell, {view.days} days to {view.day:%d %b %Y}",
        ("device", "zone", "dwell_p50", "dwell_p90", "visits", "mean_occupancy", "max_occupancy"),
        [r[:7] for r in rows],
        note=(
            "Dwell p50/p90 are estimated from the devices' histogram bins (linear within a bin; "
            "'≥' when in the open last bin). Bins seen by fewer than k people are withheld on the device, "
            "so rare stays are missing. Occupancy: time-weighted mean and peak people in the zone."
        ),
    )


def zone_flows(engine: Engine, view: View) -> Chart:
    """People walking from one zone to another, over `view.days` days, most first."""
    start, end = view.local_range(view.day - timedelta(days=view.days - 1), view.days)
    f = t.flows.c
    statement = (
        select(f.device, f.from_zone, f.to_zone, func.sum(f.people).label("people"))
        .where(*_device_filter(t.flows, view), f.bucket_start >= start, f.bucket_start < end)
        .group_by(f.device, f.from_zone, f.to_zone)
    )
    with engine.connect() as connection:
        rows = [(d, a, b, int(p or 0)) for d, a, b, p in connection.execute(statement)]
    rows.sort(key=lambda r: (-r[3], r[0], r[1], r[2]))
    return Chart(
        "flows",
        f"Flows between zones, {view.days} days to {view.day:%d %b %Y}",
        ("device", "from_zone", "to_zone", "people"),
        rows,
        note="Flows seen by fewer than k people in a bucket are withheld on the device.",
    )


def heatmap_cells(engine: Engine, view: View) -> Chart:
    """Person-seconds per heatmap cell of every device over `view.days` days (device frame)."""
    start, end = view.local_range(view.day - timedelta(days=view.days - 1), view.days)
    h = t.heatmap.c
    statement = (
        select(
            h.device,
            h.ix,
            h.iy,
            h.cell_m,
            h.origin_x_m,
            h.origin_y_m,
            func.sum(h.person_s),
            func.sum(h.people),
        )
        .where(*_device_filter(t.heatmap, view), h.bucket_start >= start, h.bucket_start < end)
        .group_by(h.device, h.ix, h.iy, h.cell_m, h.origin_x_m, h.origin_y_m)
        .order_by(h.device, h.iy, h.ix)
    )
    with engine.connect() as connection:
        rows = [
            (d, int(ix), int(iy), float(c), float(ox), float(oy), round(float(s or 0), 1), int(p or 0))
            for d, ix, iy, c, ox, oy, s, p in connection.execute(statement)
        ]
    return Chart(
        "heatmap",
        f"Heatmap: person-seconds per floor cell, {view.days} days to {view.day:%d %b %Y}",
        ("device", "ix", "iy", "cell_m", "origin_x_m", "origin_y_m", "person_s", "people"),
        rows,
        note="Cells seen by fewer than k people in a bucket are withheld on the device.",
    )


def device_health(engine: Engine, view: View) -> Chart:
    """Every device of the site: state, last status, last report and backlog."""
    d = t.devices.c
    statement = select(
        d.device, d.state, d.status_sent_at, d.last_report_at, d.last_bucket_start, d.pending, d.evicted,
        d.unsaved, d.agent_version,
    ).where(d.site == view.site).order_by(d.device)  # fmt: skip

    def local(epoch: float | None) -> str:
        return "" if epoch is None else _local(view, int(epoch)).strftime("%Y-%m-%d %H:%M:%S")

    with engine.connect() as connection:
        rows = [
            (dev, state or "unknown", local(sent), local(seen), local(bucket), pending, evicted, unsaved, version or "")
            for dev, state, sent, seen, bucket, pending, evicted, unsaved, version in connection.execute(statement)
        ]  # fmt: skip
    return Chart(
        "health",
        "Device health",
        (
            "device",
            "state",
            "status_sent",
            "last_report_received",
            "last_bucket_start",
            "backlog",
            "evicted",
            "unsaved",
            "agent_version",
        ),
        rows,
        note=(
            f"Local time ({view.timezone}). Backlog: reports waiting in the device's outbox; "
            "evicted: reports the device dropped to stay within its disk budget (lost, counted)."
        ),
    )


CHARTS = {
    "hourly": hourly_traffic,
    "daily": daily_traffic,
    "weekday_hour": weekday_hour,
    "zones": zone_ranking,
    "flows": zone_flows,
    "heatmap": heatmap_cells,
    "health": device_health,
}


@dataclass(frozen=True)
class SiteSummary:
    """One row of the overview page."""

    site: str
    title: str
    timezone: str
    devices: int
    last_bucket_start: int | None


def list_sites(engine: Engine) -> list[SiteSummary]:
    """Every site that has a device or a configured time zone."""
    d, s = t.devices.c, t.sites.c
    with engine.connect() as connection:
        found = {
            site: (n, last)
            for site, n, last in connection.execute(
                select(d.site, func.count(), func.max(d.last_bucket_start)).group_by(d.site)
            )
        }
        named = {
            site: (tz, title) for site, tz, title in connection.execute(select(s.site, s.timezone, s.title))
        }
    return [
        SiteSummary(
            site,
            (named.get(site, ("UTC", None))[1] or site),
            named.get(site, ("UTC", None))[0],
            found.get(site, (0, None))[0],
            found.get(site, (0, None))[1],
        )
        for site in sorted(set(found) | set(named))
    ]


def site_devices(engine: Engine, site: str) -> list[str]:
    """Device ids of a site, sorted."""
    d = t.devices.c
    with engine.connect() as connection:
        return [
            row[0] for row in connection.execute(select(d.device).where(d.site == site).order_by(d.device))
        ]


def site_timezone(engine: Engine, site: str) -> str:
    """The site's IANA time zone; UTC when none was set."""
    with engine.connect() as connection:
        found = connection.execute(select(t.sites.c.timezone).where(t.sites.c.site == site)).scalar()
    return str(found) if found else "UTC"


def latest_day(engine: Engine, site: str, timezone: str) -> date:
    """The local date of the site's newest bucket; today when it has none."""
    with engine.connect() as connection:
        newest = connection.execute(
            select(func.max(t.counts.c.bucket_start)).where(t.counts.c.site == site)
        ).scalar()
    moment = datetime.now(UTC) if newest is None else datetime.fromtimestamp(int(newest), UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()


def layouts(engine: Engine, site: str) -> dict[str, str]:
    """Layout payload text by device."""
    c = t.layouts.c
    with engine.connect() as connection:
        return {d: p for d, p in connection.execute(select(c.device, c.payload).where(c.site == site))}


def dead_letter_count(engine: Engine) -> int:
    """Messages that could not be stored, in total."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t.dead_letters)).scalar() or 0)


def set_site(engine: Engine, site: str, timezone: str, title: str | None = None) -> None:
    """Set (or change) a site's time zone and title. `engine` must be a writer engine."""
    with engine.begin() as connection:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(t.sites).values(site=site, timezone=timezone, title=title)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["site"], set_={"timezone": timezone, "title": title}
            )
        )


def totals(
    engine: Engine, view: View, columns: Sequence[str] = ("people_in", "people_out")
) -> tuple[int, ...]:
    """Sum of counts columns over the view's local day (for checks and the page header)."""
    start, end = view.local_range(view.day, 1)
    c = t.counts.c
    statement = select(*(func.sum(getattr(c, name)) for name in columns)).where(
        *_device_filter(t.counts, view), c.bucket_start >= start, c.bucket_start < end
    )
    with engine.connect() as connection:
        row = connection.execute(statement).one()
    return tuple(int(v or 0) for v in row)
