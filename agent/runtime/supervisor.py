"""Runs each pipeline stage on its own thread and restarts a stage that fails, within a budget.

Why restart in place rather than exit at once: most stage failures in a
shop are passing (a frame the decoder chokes on, a driver hiccup), and a
restart keeps the tracker, the open bucket and the broker connection. Why a
budget: a stage that keeps failing is not passing; a fresh process (systemd
`Restart=always`) is the better cure, so past the budget the supervisor
sets the shared stop event and records the failure, and the agent exits 1.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Protocol

from agent.runtime.config import SupervisorConfig

log = logging.getLogger(__name__)


class Stage(Protocol):
    """A pipeline stage: `run` works until its input ends or the stop event is set."""

    name: str

    def run(self) -> None:
        """Work until done; raising hands the stage to the supervisor for a restart."""
        ...


class RestartBudget:
    """At most `max_restarts` restarts within any `window_s` seconds (monotonic clock).

    Raises:
        ValueError: `max_restarts` < 0 or `window_s` <= 0.
    """

    def __init__(self, max_restarts: int, window_s: float) -> None:
        if max_restarts < 0:
            raise ValueError(f"max_restarts is {max_restarts}, should be >= 0")
        if window_s <= 0:
            raise ValueError(f"window_s is {window_s}, should be > 0")
        self.max_restarts = max_restarts
        self.window_s = window_s
        self._restarts: deque[float] = deque()
        self._lock = threading.Lock()

    def spend(self, now_s: float) -> bool:
        """Take one restart at time `now_s`; False when the budget is spent (the stage must not restart)."""
        with self._lock:
            while self._restarts and now_s - self._restarts[0] > self.window_s:
                self._restarts.popleft()
            if len(self._restarts) >= self.max_restarts:
                return False
            self._restarts.append(now_s)
            return True


class Supervisor:
    """Starts stages on daemon threads; restarts failed ones; stops everything when one is done or spent.

    A stage that returns normally is done (its source ended, or stop was set);
    when the stage named `last` is done the whole pipeline has finished, so
    `stop` is set. `restarts` counts restarts since start; `failure` holds
    why the agent gave up, or None.
    """

    def __init__(self, config: SupervisorConfig, stop: threading.Event) -> None:
        self._budget = RestartBudget(config.max_restarts, config.window_s)
        self._delay_s = config.restart_delay_s
        self._stop = stop
        self._threads: dict[str, threading.Thread] = {}
        self.restarts = 0
        self.failure: str | None = None

    def start(self, stage: Stage, *, last: bool = False) -> None:
        """Run `stage` on a new thread named after it."""
        thread = threading.Thread(target=self._supervise, args=(stage, last), name=stage.name, daemon=True)
        self._threads[stage.name] = thread
        thread.start()

    def _supervise(self, stage: Stage, last: bool) -> None:
        while True:
            try:
                stage.run()
            except Exception as exc:
                if self._stop.is_set():
                    log.warning("stage %s failed while stopping: %s", stage.name, exc)
                    return
                if not self._budget.spend(time.monotonic()):
                    self.failure = (
                        f"stage {stage.name} failed more than {self._budget.max_restarts} time(s) within "
                        f"{self._budget.window_s:g} s; last error: {type(exc).__name__}: {exc}"
                    )
                    log.error("%s; stopping so the service is restarted", self.failure, exc_info=exc)
                    self._stop.set()
                    return
                self.restarts += 1
                log.error(
                    "stage %s failed (%s: %s); restart %d in %g s",
                    stage.name,
                    type(exc).__name__,
                    exc,
                    self.restarts,
                    self._delay_s,
                )
                log.debug("stage %s traceback", stage.name, exc_info=exc)
                if self._stop.wait(self._delay_s):
                    return
                continue
            if last:
                self._stop.set()
            return

    def join(self, timeout_s: float) -> list[str]:
        """Wait for every stage thread (sharing `timeout_s`); return the names of those still running."""
        deadline = time.monotonic() + timeout_s
        for thread in self._threads.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        return [name for name, thread in self._threads.items() if thread.is_alive()]

    def alive(self, name: str) -> bool:
        """Whether the stage `name` still runs."""
        thread = self._threads.get(name)
        return thread is not None and thread.is_alive()
