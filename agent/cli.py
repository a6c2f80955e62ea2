"""The `footfall` command line.

Library code raises specific exceptions; they become one-line messages and
exit codes only here, at the boundary: 0 ok, 1 runtime failure, 2 bad input
(config, arguments, files).
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from agent import __version__
from agent.config import add_overrides_argument
from agent.errors import ConfigError, FootfallError
from agent.geometry.errors import CalibrationError
from agent.log_limit import limit_repeats

if TYPE_CHECKING:
    from agent.config import AgentConfig

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def _cmd_run(args: argparse.Namespace) -> int:
    from agent.config import load_config
    from agent.runtime.pipeline import Pipeline

    config = load_config(args.config, args.overrides)
    logging.getLogger().setLevel(args.log_level or config.logging.level)
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("footfall").info(
            "%s received: flushing the last bucket and stopping", signal.Signals(signum).name
        )
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    # `systemctl kill -s USR1 footfall` (or kill -USR1) writes every thread's stack to stderr, the
    # journal: where an agent that does not stop is waiting. Code locations only, no data.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    summary = Pipeline(config).run(stop, duration_s=args.duration)
    print(
        f"footfall: {summary.frames} frames, in={summary.people_in} out={summary.people_out}, "
        f"{summary.reports_stored} reports stored, {summary.reports_pending} still pending",
        file=sys.stderr,
    )
    if summary.failure is not None:  # a stage failed beyond its restart budget: systemd restarts us
        print(f"footfall: error: {summary.failure}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _cmd_config_check(args: argparse.Namespace) -> int:
    from agent.config import load_config
    from agent.geometry.projector import build_projector

    config = load_config(args.file, args.overrides)
    if config.calibration is not None:
        build_projector(config.calibration)  # a calibration file must load too
    print(_config_summary(args.file, config))
    return EXIT_OK


def _config_summary(path: Path, config: AgentConfig) -> str:
    """The one line `config check` prints for a valid config."""
    return (
        f"{path}: ok (device {config.device.site}/{config.device.id}, source {config.source.type}, "
        f"detector {config.detector.type if config.detector else 'none'}, {len(config.lines)} line(s), "
        f"{len(config.zones)} zone(s))"
    )


def _cmd_doctor(args: argparse.Namespace) -> int:
    from agent.doctor import render_json, render_table, run_doctor

    results = run_doctor(args.config, args.overrides, timeout_s=args.timeout)
    print(render_json(results) if args.json else render_table(results), flush=True)
    return EXIT_FAILURE if any(r.failed for r in results) else EXIT_OK


def _read_password(args: argparse.Namespace) -> str | None:
    """The MQTT password from stdin, the environment or a prompt; None keeps the stored one."""
    import getpass
    import os

    from agent.credentials import MQTT_PASSWORD

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise FootfallError(
                "--password-stdin: the first line of stdin is empty, expected the MQTT password"
            )
        return password
    if MQTT_PASSWORD in os.environ:
        return os.environ[MQTT_PASSWORD]
    if args.username is not None and sys.stdin.isatty() and not args.dry_run:
        return getpass.getpass(f"MQTT password for {args.username} (empty: keep the stored one): ") or None
    return None


def _cmd_provision(args: argparse.Namespace) -> int:
    from agent.config import load_config
    from agent.provision import (
        BrokerSettings,
        ProvisionRequest,
        apply_plan,
        config_path,
        describe_plan,
        plan_provision,
    )

    broker = BrokerSettings(
        host=args.broker,
        port=args.port,
        tls=args.tls,
        ca_file=args.ca_file,
        cert_file=args.cert_file,
        key_file=args.key_file,
        username=args.username,
    )
    request = ProvisionRequest(
        target=args.target,
        site=args.site,
        device_id=args.device,
        broker=broker,
        password=_read_password(args),
        base=args.base,
        force=args.force,
    )
    plan = plan_provision(request)
    if args.dry_run:
        for line in describe_plan(plan):
            print(line)
        print("footfall provision: dry run, nothing written")
        return EXIT_OK
    written = set(apply_plan(plan))
    for planned in plan:
        print(f"{'wrote' if planned.path in written else 'unchanged'}: {planned.path}")
    target = config_path(args.target)
    config = load_config(target)
    print(_config_summary(target, config))
    calibration = config.calibration
    if calibration is not None and calibration.type == "file" and not calibration.path.exists():
        print(f"not calibrated yet ({calibration.path} does not exist)")
        print(f"next: footfall calibrate serve --config {target}, then footfall doctor --config {target}")
    else:
        print(f"next: footfall doctor --config {target}")
    return EXIT_OK


def _cmd_schemas_write(args: argparse.Namespace) -> int:
    from agent.publish.schemas import write_schemas

    for path in write_schemas(args.directory):
        print(path)
    return EXIT_OK


def _cmd_schemas_check(args: argparse.Namespace) -> int:
    from agent.publish.schemas import generate_schemas, render_schema

    stale = []
    for name, schema in generate_schemas().items():
        path = args.directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != render_schema(schema):
            stale.append(path)
    for path in stale:
        print(
            f"{path}: differs from the payload models; run `footfall schemas write {args.directory}`",
            file=sys.stderr,
        )
    return EXIT_FAILURE if stale else EXIT_OK


def _cmd_listen(args: argparse.Namespace) -> int:
    from agent.listen import listen

    result = listen(
        args.host,
        args.port,
        args.topic,
        max_messages=args.count,
        timeout_s=args.timeout,
        until_offline=args.until_offline,
        emit=lambda line: print(line, flush=True),
    )
    totals = ", ".join(f"{line} in={t[0]} out={t[1]}" for line, t in sorted(result.line_totals.items()))
    print(
        f"footfall listen: {result.received} message(s), {result.invalid} invalid; "
        f"totals: {totals or 'no counts'}",
        flush=True,
    )
    return EXIT_FAILURE if result.invalid else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The full `footfall` argument parser (also used by the test that every command has help)."""
    parser = argparse.ArgumentParser(
        prog="footfall",
        description="Edge agent for in-store sensors: turns a ceiling camera or serial counter into "
        "anonymous counts on MQTT. No image ever leaves the device.",
    )
    parser.add_argument("--version", action="version", version=f"footfall {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run the agent: count people and publish reports",
        description="Read frames from the configured source, count line crossings per time bucket, "
        "store each report in the SQLite outbox and publish it to the MQTT broker (QoS 1). "
        "Stops at the end of a file source, after --duration, or on Ctrl-C / SIGTERM, "
        "flushing the last bucket first.",
    )
    run.add_argument("--config", type=Path, required=True, metavar="FILE", help="device config (TOML)")
    add_overrides_argument(run)
    run.add_argument("--duration", type=float, metavar="SECONDS", help="stop after this many seconds")
    run.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="override the config's logging.level",
    )
    run.set_defaults(func=_cmd_run)

    config = commands.add_parser(
        "config", help="work with device config files", description="Validate device config files."
    )
    config_commands = config.add_subparsers(dest="config_command", metavar="SUBCOMMAND", required=True)
    check = config_commands.add_parser(
        "check",
        help="validate a config file without running",
        description="Validate a device config file. On error, prints one line per bad key: the file, "
        "the key path (e.g. mqtt.tls.ca_file), the value and what was expected; exits 2.",
    )
    check.add_argument("file", type=Path, metavar="FILE", help="device config (TOML)")
    add_overrides_argument(check)
    check.set_defaults(func=_cmd_config_check)

    schemas = commands.add_parser(
        "schemas",
        help="the JSON Schemas of the MQTT payloads",
        description="Write or check the wire contract's JSON Schemas.",
    )
    schema_commands = schemas.add_subparsers(dest="schemas_command", metavar="SUBCOMMAND", required=True)
    write = schema_commands.add_parser(
        "write",
        help="regenerate the schema files from the payload models",
        description="Write one <kind>.schema.json per payload into DIR.",
    )
    write.add_argument(
        "directory",
        type=Path,
        nargs="?",
        default=Path("schemas"),
        metavar="DIR",
        help="output folder (default: schemas)",
    )
    write.set_defaults(func=_cmd_schemas_write)
    verify = schema_commands.add_parser(
        "check",
        help="fail if the schema files differ from the models",
        description="Exit 1 if any file in DIR differs from the models.",
    )
    verify.add_argument(
        "directory",
        type=Path,
        nargs="?",
        default=Path("schemas"),
        metavar="DIR",
        help="folder to check (default: schemas)",
    )
    verify.set_defaults(func=_cmd_schemas_check)

    listen = commands.add_parser(
        "listen",
        help="print the reports arriving at a broker",
        description="Subscribe to footfall topics on a broker and print each payload, validated "
        "against the wire contract. For installers checking a device and for the demo.",
    )
    listen.add_argument("--host", default="localhost", help="broker host (default: localhost)")
    listen.add_argument("--port", type=int, default=1883, help="broker port (default: 1883)")
    listen.add_argument("--topic", default="footfall/v1/#", help="topic filter (default: footfall/v1/#)")
    listen.add_argument("--count", type=int, metavar="N", help="stop after N messages")
    listen.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="stop after this many seconds (default: 60)",
    )
    listen.add_argument(
        "--until-offline",
        action="store_true",
        help="stop when a device publishes its 'offline' status (it stopped cleanly)",
    )
    listen.set_defaults(func=_cmd_listen)
    _add_doctor_parser(commands)
    _add_provision_parser(commands)
    from agent.calibrate.cli import add_calibrate_parser

    add_calibrate_parser(commands)
    from agent.sim.cli import add_simulate_parser

    add_simulate_parser(commands)
    from agent.evaluate import add_evaluate_parser

    add_evaluate_parser(commands)
    from agent.publish.outbox_cli import add_outbox_parser

    add_outbox_parser(commands)
    return parser


def _add_doctor_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = commands.add_parser(
        "doctor",
        help="check that this device can run: config, calibration, model, source, broker, clock, disk",
        description="Check a device before leaving it: the config loads; the calibration file loads; "
        "the model opens and runs once; the camera, file or serial sensor gives one frame or line; "
        "the broker answers (with TLS and credentials as configured); the clock is synchronised; the "
        "disk holds the outbox budget (outbox.max_bytes); the outbox opens. Prints one row per check "
        "(ok, warn, fail or skip) with what was found, and for each failure the fix: the key to change "
        "or the command to run. Exits 1 when any check fails. Nothing is published or changed.",
    )
    doctor.add_argument(
        "--config",
        type=Path,
        default=Path("/etc/footfall/footfall.toml"),
        metavar="FILE",
        help="device config (default: /etc/footfall/footfall.toml)",
    )
    add_overrides_argument(doctor)
    doctor.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="longest wait for the broker, the camera or a serial line (default: 5)",
    )
    doctor.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    doctor.set_defaults(func=_cmd_doctor)


def _add_provision_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    provision = commands.add_parser(
        "provision",
        help="write a fresh device's identity, broker and MQTT credentials",
        description="For installers: write the device identity (site, device id), the broker address "
        "(host, port, TLS and CA file) and the MQTT username into TARGET/footfall.toml (starting from the "
        "config already there, else --from, else the device template systemd/footfall.toml; only those keys "
        "change), and the MQTT password into TARGET/credentials/mqtt_password (mode 0600), where the "
        "systemd unit's LoadCredential= reads it. The password is read from stdin with "
        "--password-stdin, else from FOOTFALL_MQTT_PASSWORD, else prompted for; it is never printed. "
        "Idempotent: unchanged files are not rewritten. The result is validated like `footfall config "
        "check` before anything is written. Then run `footfall doctor`. See docs/installer.md.",
    )
    provision.add_argument("--site", required=True, help="site id: the <site> level of the MQTT topics")
    provision.add_argument("--device", required=True, metavar="ID", help="device id, unique within the site")
    provision.add_argument("--broker", required=True, metavar="HOST", help="broker host name or address")
    provision.add_argument(
        "--port", type=int, metavar="PORT", help="broker port (default: 8883 with TLS, 1883 without)"
    )
    provision.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="connect with TLS (needs --ca-file) or without (--no-tls); default: as the base config",
    )
    provision.add_argument(
        "--ca-file",
        metavar="PATH",
        help="CA certificate of the broker, as a path on the device (relative: to the config folder)",
    )
    provision.add_argument(
        "--cert-file", metavar="PATH", help="client certificate on the device (with --key-file)"
    )
    provision.add_argument("--key-file", metavar="PATH", help="client certificate's key on the device")
    provision.add_argument("--username", help="MQTT username (mqtt.username); default: as the base config")
    provision.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the MQTT password from the first line of stdin (e.g. from a password manager)",
    )
    provision.add_argument(
        "--target",
        type=Path,
        default=Path("/etc/footfall"),
        metavar="DIR",
        help="the device's config folder, or a folder on its boot partition (default: /etc/footfall)",
    )
    provision.add_argument(
        "--from",
        dest="base",
        type=Path,
        metavar="FILE",
        help="start from this config instead of the one in DIR or the shipped example",
    )
    provision.add_argument(
        "--force", action="store_true", help="replace a different device identity already in DIR"
    )
    provision.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be written (a diff of the config; never the password) and write nothing",
    )
    provision.set_defaults(func=_cmd_provision)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `footfall` console script; returns the exit code."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for handler in logging.getLogger().handlers:
        limit_repeats(handler)  # a failure repeating every frame is one line a minute, with a count
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"footfall: config error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except CalibrationError as exc:
        print(f"footfall: calibration error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FootfallError as exc:
        print(f"footfall: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return code


if __name__ == "__main__":
    sys.exit(main())
