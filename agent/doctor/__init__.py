"""`footfall doctor`: checks a device's config, calibration, model, source, broker, clock and storage.

Each check is a small function returning a `CheckResult` (ok, warn, fail or
skip, a detail and the fix); `run_doctor` runs them all, each with a deadline.
"""

from __future__ import annotations

from agent.doctor.report import CHECKS, render_json, render_table, run_doctor
from agent.doctor.result import CheckResult, Status

__all__ = ["CHECKS", "CheckResult", "Status", "render_json", "render_table", "run_doctor"]
