"""The supervisor on real threads: a stage that fails once is restarted; one that keeps failing stops all."""

from __future__ import annotations

import threading

import pytest

from agent.runtime.config import SupervisorConfig
from agent.runtime.supervisor import RestartBudget, Supervisor


class FlakyStage:
    """Raises on its first `failures` runs, then returns."""

    def __init__(self, failures: int, name: str = "processing") -> None:
        self.name = name
        self.failures = failures
        self.runs = 0

    def run(self) -> None:
        self.runs += 1
        if self.runs <= self.failures:
            raise RuntimeError(f"fault {self.runs}")


def test_budget_allows_n_restarts_per_sliding_window() -> None:
    budget = RestartBudget(max_restarts=2, window_s=60.0)
    assert budget.spend(0.0) and budget.spend(10.0)
    assert not budget.spend(20.0)
    assert budget.spend(70.5), "the restart at 0 s has left the window"


@pytest.mark.parametrize(
    ("max_restarts", "window_s", "message"),
    [(-1, 60.0, "max_restarts is -1, should be >= 0"), (3, 0.0, "window_s is 0.0, should be > 0")],
)
def test_budget_rejects_bad_arguments_by_name(max_restarts: int, window_s: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RestartBudget(max_restarts, window_s)


def test_stage_that_fails_once_is_restarted_and_finishes() -> None:
    stop = threading.Event()
    supervisor = Supervisor(SupervisorConfig(max_restarts=3, restart_delay_s=0.0), stop)
    stage = FlakyStage(failures=1)
    supervisor.start(stage, last=True)
    assert supervisor.join(5.0) == []
    assert (stage.runs, supervisor.restarts, supervisor.failure) == (2, 1, None)
    assert stop.is_set(), "the last stage finishing ends the run"


def test_stage_that_keeps_failing_spends_the_budget_and_stops_everything() -> None:
    stop = threading.Event()
    supervisor = Supervisor(SupervisorConfig(max_restarts=2, window_s=60.0, restart_delay_s=0.0), stop)
    failing, bystander = FlakyStage(failures=1000), FlakyStage(failures=0, name="capture")
    supervisor.start(failing, last=True)
    assert supervisor.join(5.0) == []
    assert stop.is_set()
    assert failing.runs == 3 and supervisor.restarts == 2
    assert supervisor.failure is not None
    assert "stage processing failed more than 2 time(s) within 60 s" in supervisor.failure
    assert "RuntimeError: fault 3" in supervisor.failure
    supervisor.start(bystander)
    assert supervisor.join(5.0) == [] and bystander.runs == 1
