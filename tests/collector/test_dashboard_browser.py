"""Must show 3: every dashboard page in headless Chromium, figures checked against the published payloads.

A simulated store (two devices, two weeks, hourly buckets) is published to a
private Mosquitto and stored by a real collector process, which also serves
the dashboard. Debian's Chromium, driven by Playwright, loads each page; the
figures shown are compared with sums computed here from the payloads
themselves, each chart's CSV download with the table on screen, and a
screenshot of every page is kept under test-artifacts/collector/.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page

from agent.publish.payloads import CountsReport, DwellReport, HeatmapReport
from collector.queries import set_site
from collector.store.engine import make_engine
from collector.store.migrate import upgrade
from collector.synthetic import SimulatedStore
from tests.collector.conftest import COLLECTOR_BROKER_CONFIG
from tests.collector.processes import CollectorProcess, publish_payloads, wait_until
from tests.collector.storage import report_count
from tests.helpers.broker import MosquittoBroker, free_port
from tests.helpers.browser import artifacts_folder, chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "collector"
SITE, TZ = "shop-berlin", "Europe/Berlin"
LAST_DAY = date(2025, 3, 16)  # a Sunday; the store runs Mon 3 to Sun 16 March 2025
# One worker runs the module: one screenshot folder.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dashboard_browser")]


@pytest.fixture(scope="module")
def store() -> SimulatedStore:
    """Two devices, fourteen days, hourly buckets, in Berlin time."""
    return SimulatedStore(SITE, first_day=datetime(2025, 3, 3), days=14, timezone=TZ, seed=7)


@pytest.fixture(scope="module")
def dashboard(store: SimulatedStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running collector that stored the simulated store through MQTT."""
    tmp = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{tmp / 'collector.db'}"
    writer = make_engine(url, writer=True)
    upgrade(writer)
    set_site(writer, SITE, TZ, "Berlin test shop")
    broker = MosquittoBroker(tmp / "mosquitto", COLLECTOR_BROKER_CONFIG)
    broker.start()
    port = free_port()
    collector = CollectorProcess(url, broker.port, "dash", tmp / "collector.log", http_port=port)
    try:
        collector.wait_ready()
        reports = list(store.reports())
        publish_payloads(broker.port, [*store.layouts(), *store.statuses(pending=3), *reports])
        reader = make_engine(url, writer=False)
        wait_until(lambda: report_count(reader) == len(reports), 60, "the simulated store to be stored")
        yield f"http://127.0.0.1:{port}"
    finally:
        collector.stop()
        broker.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium; the screenshots folder is emptied first."""
    artifacts_folder(ARTIFACTS.name)
    yield from chromium()


def _open(browser: Browser, url: str, shot: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
    return page


def _table(page: Page, name: str) -> list[list[str]]:
    rows = page.locator(f"[data-testid=table-{name}] tbody tr")
    return [[c.strip() for c in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]


def _csv_matches_table(page: Page, base: str, name: str) -> None:
    href = page.locator(f"[data-testid=csv-{name}]").get_attribute("href")
    assert href is not None
    page.locator("details").evaluate_all("(all) => all.forEach((d) => { d.open = true; })")
    response = page.request.get(base + href)
    assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text())))
    header = page.locator(f"[data-testid=table-{name}] thead th").all_inner_texts()
    assert rows[0] == [h.strip() for h in header]
    assert rows[1:] == _table(page, name)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(TZ))


def _of(store: SimulatedStore, kind: type[Any]) -> list[Any]:
    return [r for r in store.reports() if isinstance(r, kind)]


def test_overview_lists_the_site(browser: Browser, dashboard: str) -> None:
    page = _open(browser, dashboard + "/", "overview")
    assert "Berlin test shop" in page.locator("[data-testid=sites]").inner_text()
    assert page.locator("[data-testid=dead-letters]").inner_text() == "0"


def test_visitors_page_shows_the_published_counts_by_local_hour_and_day(
    browser: Browser, dashboard: str, store: SimulatedStore
) -> None:
    page = _open(browser, f"{dashboard}/site/{SITE}/traffic", "traffic")
    by_hour: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0, 0])
    for report in _of(store, CountsReport):
        local = _local(report.bucket_start)
        by_hour[(local.date(), local.hour)][0] += report.lines[0].people_in
        by_hour[(local.date(), local.hour)][1] += report.lines[0].people_out
    day_in = sum(v[0] for (d, _), v in by_hour.items() if d == LAST_DAY)
    assert day_in > 100
    assert page.locator("[data-testid=total-in]").inner_text() == str(day_in)
    week_before = LAST_DAY - timedelta(days=7)
    expected = [
        [f"{h:02d}:00", *map(str, by_hour[(LAST_DAY, h)] + by_hour[(week_before, h)])] for h in range(24)
    ]
    assert _table(page, "hourly") == expected
    daily = _table(page, "daily")
    assert [row[0] for row in daily] == [(LAST_DAY - timedelta(days=6 - n)).isoformat() for n in range(7)]
    for row in daily:
        day = date.fromisoformat(row[0])
        assert int(row[2]) == sum(v[0] for (d, _), v in by_hour.items() if d == day)
        assert int(row[4]) == sum(v[0] for (d, _), v in by_hour.items() if d == day - timedelta(days=7))
    _csv_matches_table(page, dashboard, "hourly")
    _csv_matches_table(page, dashboard, "daily")
    # One device only: the figures follow the selection.
    door = _open(
        browser, f"{dashboard}/site/{SITE}/traffic?device=door-cam&day={LAST_DAY}", "traffic-door-cam"
    )
    door_in = sum(
        r.lines[0].people_in
        for r in _of(store, CountsReport)
        if r.device == "door-cam" and _local(r.bucket_start).date() == LAST_DAY
    )
    assert door.locator("[data-testid=total-in]").inner_text() == str(door_in) != str(day_in)


def test_busyness_table_is_the_mean_per_local_weekday_and_hour(
    browser: Browser, dashboard: str, store: SimulatedStore
) -> None:
    page = _open(browser, f"{dashboard}/site/{SITE}/busyness?weeks=2&day={LAST_DAY}", "busyness")
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for report in _of(store, CountsReport):
        local = _local(report.bucket_start)
        totals[(local.weekday(), local.hour)] += report.lines[0].people_in
    rows = _table(page, "weekday_hour")
    assert [r[0] for r in rows] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    for weekday, row in enumerate(rows):
        assert [float(v) for v in row[1:]] == [round(totals[(weekday, h)] / 2, 1) for h in range(24)]
    assert float(rows[5][13]) > float(rows[0][3]) == 0.0  # Saturday lunch is busy, Monday 3 am empty
    _csv_matches_table(page, dashboard, "weekday_hour")


def test_zones_page_ranks_zones_with_visits_from_the_dwell_bins(
    browser: Browser, dashboard: str, store: SimulatedStore
) -> None:
    page = _open(browser, f"{dashboard}/site/{SITE}/zones?day={LAST_DAY}&days=7", "zones")
    first = LAST_DAY - timedelta(days=6)
    visits: dict[tuple[str, str], int] = defaultdict(int)
    for report in _of(store, DwellReport):
        if first <= _local(report.bucket_start).date() <= LAST_DAY:
            for zone in report.zones:
                visits[(report.device, zone.zone)] += sum(b.people for b in zone.bins)
    rows = _table(page, "zones")
    assert {(r[0], r[1]): int(r[4]) for r in rows} == visits
    p90 = [float(re.sub(r"[^0-9.]", "", r[3])) for r in rows]
    assert p90 == sorted(p90, reverse=True), "zones are ranked by p90 dwell"
    assert all(re.fullmatch(r"(≥ )?\d+ s", r[2]) for r in rows)
    assert "estimated from the devices' histogram bins" in page.inner_text("section[data-chart=zones]")
    flows = _table(page, "flows")
    assert flows and [int(r[3]) for r in flows] == sorted((int(r[3]) for r in flows), reverse=True)
    _csv_matches_table(page, dashboard, "zones")
    _csv_matches_table(page, dashboard, "flows")


def test_floor_plan_stitches_both_devices_and_draws_every_heatmap_cell(
    browser: Browser, dashboard: str, store: SimulatedStore
) -> None:
    page = _open(browser, f"{dashboard}/site/{SITE}/floor?day={LAST_DAY}&days=7", "floor")
    first = LAST_DAY - timedelta(days=6)
    cells = {
        (r.device, c.ix, c.iy)
        for r in _of(store, HeatmapReport)
        if first <= _local(r.bucket_start).date() <= LAST_DAY
        for c in r.cells
    }
    plan = page.locator("[data-testid=floorplan]")
    assert plan.locator("polygon.floor").count() == 2
    assert plan.locator("polygon.cell").count() == len(cells) > 20
    # The aisle camera is rotated 90° and placed 12 m to the right: its floor lies right of the door camera's.
    door = plan.locator("polygon.floor[data-device=door-cam]").bounding_box()
    aisle = plan.locator("polygon.floor[data-device=aisle-cam]").bounding_box()
    assert door is not None and aisle is not None and aisle["x"] > door["x"] + door["width"]
    assert aisle["height"] > aisle["width"], "rotated by 90°: the 6 m x 5 m floor stands upright"
    _csv_matches_table(page, dashboard, "heatmap")


def test_health_page_shows_state_last_report_and_backlog(browser: Browser, dashboard: str) -> None:
    page = _open(browser, f"{dashboard}/site/{SITE}/health", "health")
    rows = {r[0]: r for r in _table(page, "health")}
    assert set(rows) == {"aisle-cam", "door-cam"}
    for row in rows.values():
        assert row[1] == "online"
        assert row[4] == "2025-03-16 23:00:00", "the newest bucket, in Berlin time"
        assert row[5] == "3"
    _csv_matches_table(page, dashboard, "health")


def test_a_bad_parameter_is_answered_with_its_name(browser: Browser, dashboard: str) -> None:
    page = browser.new_page()
    response = page.goto(f"{dashboard}/site/{SITE}/traffic?day=16-03-2025")
    assert response is not None and response.status == 400
    assert "day='16-03-2025' should be a date" in page.inner_text("body")
    response = page.goto(f"{dashboard}/site/nowhere/traffic")
    assert response is not None and response.status == 404
