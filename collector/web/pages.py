"""HTML of every dashboard page. Each chart: title, figure, the table of its figures, a note, a CSV link."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html import escape
from urllib.parse import urlencode

from sqlalchemy import Engine

from agent.publish.layout import LayoutReport
from collector.floorplan import FloorPlan, HeatCell
from collector.queries import (
    CHARTS,
    Chart,
    View,
    dead_letter_count,
    layouts,
    list_sites,
    site_devices,
    totals,
)
from collector.web.charts import bars_with_last_week, heat_colour

PAGES = {
    "traffic": "Visitors",
    "busyness": "Busyness",
    "zones": "Zones & flows",
    "floor": "Floor plan",
    "health": "Device health",
}


def _query(view: View, **extra: str) -> str:
    params = {"day": view.day.isoformat(), "days": str(view.days), "weeks": str(view.weeks)}
    if view.device:
        params["device"] = view.device
    return urlencode({**params, **extra})


def _frame(title: str, body: str, nav: str = "") -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)} · footfall</title><link rel="stylesheet" href="/static/dashboard.css"></head>'
        f'<body><header><a class="brand" href="/">footfall</a>{nav}</header><main><h1>{escape(title)}</h1>'
        f"{body}</main></body></html>"
    )


def _nav(view: View, current: str) -> str:
    links = "".join(
        f'<a href="/site/{escape(view.site)}/{page}?{escape(_query(view))}"'
        f"{' class=current' if page == current else ''}>{label}</a>"
        for page, label in PAGES.items()
    )
    return f"<nav>{links}</nav>"


def _form(view: View, page: str, devices: Sequence[str]) -> str:
    options = '<option value="">all devices</option>' + "".join(
        f'<option value="{escape(d)}"{" selected" if d == view.device else ""}>{escape(d)}</option>'
        for d in devices
    )
    span = (
        f'<label>weeks (0 = all) <input type="number" name="weeks" min="0" value="{view.weeks}"></label>'
        if page == "busyness"
        else f'<label>days <input type="number" name="days" min="1" max="366" value="{view.days}"></label>'
    )
    return (
        f'<form class="view" method="get" action="/site/{escape(view.site)}/{page}">'
        f'<label>device <select name="device">{options}</select></label>'
        f'<label>day <input type="date" name="day" value="{view.day.isoformat()}"></label>{span}'
        f'<button type="submit">show</button><span class="tz">times in {escape(view.timezone)}</span></form>'
    )


def _table(chart: Chart, cell_style: Callable[[int, object], str] | None = None) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in chart.columns)
    body = []
    for row in chart.rows:
        cells = []
        for i, value in enumerate(row):
            style = cell_style(i, value) if cell_style else ""
            cells.append(
                f'<td data-col="{escape(chart.columns[i])}"{style}>{escape("" if value is None else str(value))}</td>'
            )
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table data-testid="table-{chart.name}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _section(
    view: View, chart: Chart, figure: str, table: str | None = None, *, open_table: bool = True
) -> str:
    csv = f"/csv/{chart.name}?{_query(view, site=view.site)}"
    table_html = table if table is not None else _table(chart)
    return (
        f'<section class="chart" data-chart="{chart.name}"><h2>{escape(chart.title)}</h2>{figure}'
        f"<details{' open' if open_table else ''}><summary>Figures</summary>{table_html}</details>"
        f'<p class="note">{escape(chart.note)}</p>'
        f'<a class="csv" data-testid="csv-{chart.name}" href="{escape(csv)}" download>Download CSV</a></section>'
    )


def overview_page(engine: Engine) -> str:
    """The list of sites."""
    rows = []
    for s in list_sites(engine):
        last = (
            ""
            if s.last_bucket_start is None
            else datetime.fromtimestamp(s.last_bucket_start, UTC).isoformat()
        )
        rows.append(
            f'<tr><td><a href="/site/{escape(s.site)}/traffic">{escape(s.title)}</a></td><td>{escape(s.site)}</td>'
            f"<td>{s.devices}</td><td>{escape(s.timezone)}</td><td>{escape(last)}</td></tr>"
        )
    dead = dead_letter_count(engine)
    body = (
        '<table data-testid="sites"><thead><tr><th>site</th><th>id</th><th>devices</th><th>time zone</th>'
        f"<th>newest bucket (UTC)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<p>Dead letters (messages that could not be stored): <b data-testid="dead-letters">{dead}</b></p>'
    )
    return _frame("Sites", body)


def traffic_page(engine: Engine, view: View) -> str:
    """Visitors in/out per hour and per day, with the same period last week."""
    hourly = CHARTS["hourly"](engine, view)
    daily = CHARTS["daily"](engine, view)
    people_in, people_out = totals(engine, view)
    summary = (
        f'<p class="summary">{view.day:%A %d %B %Y}: <b data-testid="total-in">{people_in}</b> in, '
        f'<b data-testid="total-out">{people_out}</b> out. Bars: this period (in, out); '
        "dark marks: the same period last week.</p>"
    )
    body = (
        _form(view, "traffic", site_devices(engine, view.site))
        + summary
        + _section(view, hourly, bars_with_last_week(hourly, 0, (1, 2), (3, 4)))
        + _section(view, daily, bars_with_last_week(daily, 0, (2, 3), (4, 5)))
    )
    return _frame(f"{view.site}: visitors", body, _nav(view, "traffic"))


def busyness_page(engine: Engine, view: View) -> str:
    """Weekday x hour table of mean visitors in."""
    chart = CHARTS["weekday_hour"](engine, view)
    top = max((float(v) for r in chart.rows for v in r[1:]), default=0.0) or 1.0

    def style(column: int, value: object) -> str:
        if column == 0 or not isinstance(value, int | float):
            return ""
        return f' style="background:{heat_colour(float(value) / top)}"'

    body = _form(view, "busyness", site_devices(engine, view.site)) + _section(
        view, chart, "", _table(chart, style).replace("<table ", '<table class="heat" ', 1)
    )
    return _frame(f"{view.site}: busyness", body, _nav(view, "busyness"))


def _bar_style(chart: Chart, column: str) -> Callable[[int, object], str]:
    index = chart.columns.index(column)
    top = max((float(r[index]) for r in chart.rows), default=0.0) or 1.0

    def style(i: int, value: object) -> str:
        if i != index or not isinstance(value, int | float):
            return ""
        return f' style="background:linear-gradient(90deg,#f6a04d {100 * float(value) / top:.0f}%,transparent 0)"'

    return style


def zones_page(engine: Engine, view: View) -> str:
    """Zones ranked by dwell and occupancy, and the flows between zones."""
    zones = CHARTS["zones"](engine, view)
    flows = CHARTS["flows"](engine, view)
    body = (
        _form(view, "zones", site_devices(engine, view.site))
        + _section(view, zones, "", _table(zones, _bar_style(zones, "visits")))
        + _section(view, flows, "", _table(flows, _bar_style(flows, "people")))
    )
    return _frame(f"{view.site}: zones and flows", body, _nav(view, "zones"))


def floor_page(engine: Engine, view: View) -> str:
    """The store heatmap on the plan stitched from every device's layout."""
    chart = CHARTS["heatmap"](engine, view)
    parsed = [
        LayoutReport.model_validate_json(text) for _, text in sorted(layouts(engine, view.site).items())
    ]
    if view.device:
        parsed = [layout for layout in parsed if layout.device == view.device]
    cells = [HeatCell(r[0], r[1], r[2], r[3], (r[4], r[5]), r[6]) for r in chart.rows]
    plan = FloorPlan(parsed, cells)
    figure = (
        plan.svg() if parsed else '<p class="empty">No device of this site has published a layout yet.</p>'
    )
    if plan.unplaced_cells:
        figure += f"<p>{plan.unplaced_cells} heatmap cells belong to devices without a layout and are not drawn.</p>"
    figure += (
        '<p class="legend">Cell colour: person-seconds spent in the cell (pale: little, dark red: most). '
        "Grey outlines: each device's floor; blue: zones; green: counting lines.</p>"
    )
    body = _form(view, "floor", site_devices(engine, view.site)) + _section(
        view, chart, figure, open_table=False
    )
    return _frame(f"{view.site}: floor plan", body, _nav(view, "floor"))


def health_page(engine: Engine, view: View) -> str:
    """Device health: online/offline, last status and report, backlog, evictions."""
    chart = CHARTS["health"](engine, view)

    def style(i: int, value: object) -> str:
        return f' class="state-{escape(str(value))}"' if chart.columns[i] == "state" else ""

    dead = f'<p>Dead letters, all sites: <b data-testid="dead-letters">{dead_letter_count(engine)}</b></p>'
    body = _section(view, chart, "", _table(chart, style)) + dead
    return _frame(f"{view.site}: device health", body, _nav(view, "health"))


PAGE_RENDERERS: dict[str, Callable[[Engine, View], str]] = {
    "traffic": traffic_page,
    "busyness": busyness_page,
    "zones": zones_page,
    "floor": floor_page,
    "health": health_page,
}


def error_page(status: int, message: str) -> str:
    """A plain page for 400/404 that says what was wrong."""
    return _frame(f"{status}", f'<p class="error">{escape(message)}</p>')
