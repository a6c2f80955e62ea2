"""The dashboard's HTTP server (standard library, one thread per request, read-only engine).

Routes: `/` sites; `/site/<site>/<page>` with `device`, `day`, `days`,
`weeks`; `/csv/<chart>?site=…` the rows behind a chart; `/static/…`.
A bad parameter gives 400 naming it and its value; an unknown site or page 404.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import Engine

from collector.queries import CHARTS, View, latest_day, list_sites, site_timezone
from collector.web.pages import PAGE_RENDERERS, error_page, overview_page

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("footfall.collector.web")


class BadRequestError(ValueError):
    """A query parameter is invalid; the message names it and its value."""


class NotFoundError(LookupError):
    """No such site, page or chart."""


class DashboardServer(ThreadingHTTPServer):
    """Serves the dashboard from `engine` (a reader engine) at `address`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], engine: Engine) -> None:
        super().__init__(address, _Handler)
        self.engine = engine


def _int(params: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    text = params.get(name, [str(default)])[0]
    try:
        value = int(text)
    except ValueError:
        raise BadRequestError(f"{name}={text!r} should be a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise BadRequestError(f"{name}={value} should be from {low} to {high}")
    return value


def view_from(engine: Engine, site: str, params: dict[str, list[str]]) -> View:
    """The `View` a request asks for; defaults: all devices, the newest day with data, 7 days, 8 weeks.

    Raises:
        NotFoundError: the site has no device and no time zone set.
        BadRequestError: a parameter is malformed (named with its value).
    """
    if site not in {s.site for s in list_sites(engine)}:
        raise NotFoundError(f"no site {site!r}; the sites are listed at /")
    timezone = site_timezone(engine, site)
    day_text = params.get("day", [""])[0]
    try:
        day = date.fromisoformat(day_text) if day_text else latest_day(engine, site, timezone)
    except ValueError:
        raise BadRequestError(f"day={day_text!r} should be a date such as 2025-03-31") from None
    device = params.get("device", [""])[0] or None
    return View(
        site=site,
        timezone=timezone,
        day=day,
        device=device,
        days=_int(params, "days", 7, 1, 366),
        weeks=_int(params, "weeks", 8, 0, 520),
    )


def chart_csv(engine: Engine, chart_name: str, view: View) -> str:
    """The CSV text of one chart's rows (header first)."""
    builder = CHARTS.get(chart_name)
    if builder is None:
        raise NotFoundError(f"no chart {chart_name!r}; charts are {sorted(CHARTS)}")
    chart = builder(engine, view)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(chart.columns)
    writer.writerows(chart.rows)
    return out.getvalue()


class _Handler(BaseHTTPRequestHandler):
    server: DashboardServer

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = parse_qs(url.query)
        parts = [unquote(p) for p in url.path.split("/") if p]
        try:
            self._route(parts, params)
        except BadRequestError as error:
            self._send(
                HTTPStatus.BAD_REQUEST, error_page(400, str(error)).encode(), "text/html; charset=utf-8"
            )
        except NotFoundError as error:
            self._send(HTTPStatus.NOT_FOUND, error_page(404, str(error)).encode(), "text/html; charset=utf-8")

    def _route(self, parts: list[str], params: dict[str, list[str]]) -> None:
        engine = self.server.engine
        if not parts:
            self._send(HTTPStatus.OK, overview_page(engine).encode(), "text/html; charset=utf-8")
        elif parts[0] == "site" and len(parts) == 3 and parts[2] in PAGE_RENDERERS:
            view = view_from(engine, parts[1], params)
            html = PAGE_RENDERERS[parts[2]](engine, view)
            self._send(HTTPStatus.OK, html.encode(), "text/html; charset=utf-8")
        elif parts[0] == "csv" and len(parts) == 2:
            site = params.get("site", [""])[0]
            text = chart_csv(engine, parts[1], view_from(engine, site, params))
            filename = f"{site}-{parts[1]}.csv"
            self._send(HTTPStatus.OK, text.encode(), "text/csv; charset=utf-8", filename)
        elif parts[0] == "static" and len(parts) == 2 and (STATIC / parts[1]).is_file():
            kind = "text/css" if parts[1].endswith(".css") else "application/octet-stream"
            self._send(HTTPStatus.OK, (STATIC / parts[1]).read_bytes(), kind)
        else:
            raise NotFoundError(f"no page {self.path!r}")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, filename: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if filename:
            self.send_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.end_headers()
        self.wfile.write(body)
