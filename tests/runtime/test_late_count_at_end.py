"""A `late` line counts a person still in view when the source ends, in a real agent process."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from agent.geometry.shapes import FloorLine
from agent.sim.walkers import ClipSpec, Walker, render_clip
from tests.publish.agent_process import agent_args, closed_port, start_agent


@pytest.mark.parametrize(("mode", "expected"), [("late", "in=1 out=0"), ("immediate", "in=1 out=0")])
def test_someone_who_crossed_and_is_still_in_view_at_the_end_of_the_file_is_counted(
    tmp_path: Path, mode: str, expected: str
) -> None:
    """The clip stops 4.5 s in: the walker came into view at 1.5 s, crossed the door line (going in)
    at 3.5 s and is still walking, 1 m past it. Before the agent ended every track at the end of its
    source, the `late` line counted nobody."""
    clip = tmp_path / "clip.avi"
    door = FloorLine("door", (0.6, 2.4), (5.2, 2.4), "left")
    walker = Walker((2.0, 0.4), (2.0, 4.6), 1.5, 1.0)
    render_clip(ClipSpec(320, 240, 0.02, 10.0, 4.5, door, (walker,)), clip)  # the example config's scale
    line = f"lines=[{{name='door', start=[0.6, 2.4], end=[5.2, 2.4], in_side='left', mode='{mode}'}}]"
    args = agent_args(clip, tmp_path / "outbox.db", closed_port(), "source.loop=false", line)
    log = tmp_path / "agent.log"
    agent = start_agent(args, log)
    try:
        assert agent.wait(60) == 0, log.read_text()[-3000:]
    except subprocess.TimeoutExpired:
        agent.kill()
        raise
    summary = re.search(r"footfall: (\d+) frames, (in=\d+ out=\d+)", log.read_text())
    assert summary is not None, log.read_text()[-3000:]
    assert int(summary.group(1)) == 45
    assert summary.group(2) == expected
