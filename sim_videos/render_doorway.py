"""Render the bundled doorway clip and its ground truth: `python sim_videos/render_doorway.py`.

Writes sim_videos/doorway.avi (MJPEG, 320x240, 10 fps, 30 s) and
sim_videos/doorway.truth.json. Deterministic: rerunning gives the same counts.
"""

from __future__ import annotations

from pathlib import Path

from agent.sim.walkers import doorway_spec, render_clip, write_ground_truth

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    truth = render_clip(doorway_spec(), here / "doorway.avi")
    write_ground_truth(truth, here / "doorway.truth.json")
    print(f"doorway.avi: line {truth['line']!r}, in={truth['in']} out={truth['out']}")
