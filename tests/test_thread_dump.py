"""An agent that does not stop can say where it waits: SIGUSR1 writes every thread's stack to its log."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.publish.agent_process import (
    agent_args,
    closed_port,
    render_short_clip,
    start_agent,
    stop_agent,
    wait_for_log,
)


def test_sigusr1_writes_every_threads_stack_and_the_agent_runs_on(tmp_path: Path) -> None:
    clip = render_short_clip(tmp_path / "clip.avi")
    log = tmp_path / "agent.log"
    # At the camera's pace, as a device runs: faulthandler reads the other threads' frames without
    # stopping them, and a thread busy in Python at that instant (a clip read as fast as it can be)
    # can cut the dump short ("line 743040172" and nothing after, seen once under load). A hung
    # agent, what the dump is for, has its threads waiting.
    args = agent_args(clip, tmp_path / "outbox.db", closed_port(), "source.realtime=true", duration_s=60)
    agent = start_agent(args, log)
    try:
        assert wait_for_log(log, "stored counts report", 30), log.read_text()[-3000:]
        before = log.stat().st_size
        agent.send_signal(signal.SIGUSR1)
        # The stage threads wait in agent/runtime; the dump is written a line at a time.
        assert wait_for_log(log, "/agent/runtime/", 10, after=before), log.read_text()[-3000:]
        assert "most recent call first" in log.read_text()[before:]
        assert agent.poll() is None, "the dump does not stop the agent"
        assert stop_agent(agent, log, 60) == 0, log.read_text()[-3000:]
    finally:
        if agent.poll() is None:
            agent.kill()
