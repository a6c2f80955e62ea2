"""`footfall doctor`: every check in order, then a table (or JSON) an installer can act on."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path

from agent.config import AgentConfig, load_config
from agent.doctor.broker_check import check_broker
from agent.doctor.clock_check import check_clock
from agent.doctor.pipeline_checks import check_calibration, check_model
from agent.doctor.result import CheckResult, run_with_deadline
from agent.doctor.source_check import check_source
from agent.doctor.storage_checks import check_disk, check_outbox
from agent.errors import ConfigError

CHECKS = ("config", "calibration", "model", "source", "broker", "clock", "disk", "outbox")
# Loading a model on a Raspberry Pi takes a few seconds; nothing else should take long.
_MODEL_DEADLINE_S = 60.0


def check_config(path: Path, overrides: Sequence[str] = ()) -> tuple[CheckResult, AgentConfig | None]:
    """Load and validate the config file, as `footfall run` does at start."""
    try:
        config = load_config(path, list(overrides))
    except ConfigError as exc:
        return (
            CheckResult(
                "config",
                "fail",
                "; ".join(exc.problems),
                f"correct the key(s) named here in {path} (unknown keys are typos; the commented "
                f"config/example.toml lists every key), then `footfall config check {path}`",
            ),
            None,
        )
    summary = (
        f"{path}: device {config.device.site}/{config.device.id}, source {config.source.type}, "
        f"{len(config.lines)} line(s), {len(config.zones)} zone(s)"
    )
    return CheckResult("config", "ok", summary), config


def run_doctor(path: Path, overrides: Sequence[str] = (), timeout_s: float = 5.0) -> list[CheckResult]:
    """Run every check against the config at `path`; one result per name in `CHECKS`, in that order.

    `timeout_s` bounds each network or serial wait (seconds); every check also
    has a deadline, so a hung device or broker never hangs the doctor.
    """
    config_result, config = check_config(path, overrides)
    if config is None:
        return [config_result] + [CheckResult(name, "skip", "the config did not load") for name in CHECKS[1:]]
    checks: list[tuple[str, Callable[[], CheckResult], float]] = [
        ("calibration", partial(check_calibration, config), 4 * timeout_s + 5),
        ("model", partial(check_model, config), _MODEL_DEADLINE_S),
        ("source", partial(check_source, config, timeout_s), 4 * timeout_s + 5),
        ("broker", partial(check_broker, config, path, timeout_s), 3 * timeout_s + 5),
        ("clock", check_clock, timeout_s + 5),
        ("disk", partial(check_disk, config), timeout_s + 5),
        ("outbox", partial(check_outbox, config), 2 * timeout_s + 5),
    ]
    return [config_result] + [run_with_deadline(name, check, deadline) for name, check, deadline in checks]


def render_table(results: Sequence[CheckResult]) -> str:
    """A plain-text table: check, status, detail; under each failure or warning, its fix."""
    width = max(len(r.check) for r in results)
    lines = [f"{'CHECK':<{width}}  STATUS  DETAIL"]
    for result in results:
        lines.append(f"{result.check:<{width}}  {result.status:<6}  {result.detail}")
        if result.fix and result.status in ("fail", "warn"):
            lines.append(f"{'':<{width}}  {'fix:':<6}  {result.fix}")
    failed = [r.check for r in results if r.failed]
    warned = [r.check for r in results if r.status == "warn"]
    verdict = f"{len(failed)} failed ({', '.join(failed)})" if failed else "all checks passed"
    if warned:
        verdict += f", {len(warned)} warning(s) ({', '.join(warned)})"
    lines.append(f"footfall doctor: {verdict}")
    return "\n".join(lines)


def render_json(results: Sequence[CheckResult]) -> str:
    """The results as a JSON object: `ok` (no failure) and `checks`, one object per check."""
    checks = [{**asdict(r), "duration_s": round(r.duration_s, 3)} for r in results]
    return json.dumps({"ok": not any(r.failed for r in results), "checks": checks}, indent=2)
