"""The real agent with a fault injected into its processing stage: restarted once, or given up on.

The fault is the only thing not real: a driver process replaces
`CameraCounting.step` with one that raises on chosen frames, then runs the
ordinary `footfall run` entry point against a real broker.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers.broker import MosquittoBroker
from tests.runtime.agent_runs import CLIP, run_to_final_status, write_config

# Raises "injected fault" on the frames numbered in FAULT_FRAMES (1-based), or on every frame from
# FAULT_FROM on; everything else is the real agent.
_DRIVER = """
import os, sys
from agent.runtime import counting
real_step = counting.CameraCounting.step
calls = 0
faults = {int(n) for n in os.environ.get("FAULT_FRAMES", "").split(",") if n}
fault_from = int(os.environ.get("FAULT_FROM", "0")) or None

def step(self, frame):
    global calls
    calls += 1
    if calls in faults or (fault_from is not None and calls >= fault_from):
        raise RuntimeError(f"injected fault at frame {calls}")
    return real_step(self, frame)

counting.CameraCounting.step = step
from agent.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _driver(tmp_path: Path, faults: str) -> list[str]:
    key, _, value = faults.partition("=")
    script = tmp_path / "driver.py"
    script.write_text(f"import os\nos.environ[{key!r}] = {value!r}\n" + _DRIVER, encoding="utf-8")
    return [sys.executable, str(script)]


def _looping_clip(broker: MosquittoBroker, tmp_path: Path, supervisor: str) -> Path:
    source = f"type = \"file\"\npath = '{CLIP}'\nloop = true"
    return write_config(tmp_path, source, broker, f"[supervisor]\n{supervisor}\n")


@pytest.mark.slow
def test_stage_that_fails_once_is_restarted_and_the_agent_goes_on(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    config = _looping_clip(broker, tmp_path, "restart_delay_s = 0.2")
    code, final, log = run_to_final_status(config, 6, broker, argv=_driver(tmp_path, "FAULT_FRAMES=5"))
    assert code == 0, log
    print("final:", final["frames"], "restarts:", final["stage_restarts"])
    assert "stage processing failed (RuntimeError: injected fault at frame 5); restart 1 in 0.2 s" in log
    assert final["stage_restarts"] == 1
    assert final["frames"]["frames_processed"] >= 20, "processing went on after the restart"
    assert "footfall: error" not in log


@pytest.mark.slow
def test_stage_that_keeps_failing_makes_the_agent_exit_non_zero(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    config = _looping_clip(broker, tmp_path, "max_restarts = 2\nwindow_s = 60\nrestart_delay_s = 0.2")
    # Ends long before --duration: the budget is spent within a second or two.
    code, final, log = run_to_final_status(config, 120, broker, argv=_driver(tmp_path, "FAULT_FROM=10"))
    assert code == 1, log
    assert log.count("injected fault at frame") >= 3
    assert (
        "footfall: error: stage processing failed more than 2 time(s) within 60 s; "
        "last error: RuntimeError: injected fault at frame 12" in log
    ), log
    assert final["stage_restarts"] == 2
    assert final["frames"]["frames_processed"] == 9, "the frames before the fault were counted and flushed"
