"""Rendered frames per second per scenario on one core, and whether the live `sim` source keeps up.

    python benchmarks/bench_sim.py [--seconds 20] [--size 640x480]

Pins the process to one CPU (where the OS allows) and OpenCV to one thread,
renders each scenario's first `--seconds` of simulated time at 15 fps and
prints a table. "live ok" means rendering is faster than 15 frames/s, so
`source.type = "sim"` can feed `footfall run` in real time.
"""

from __future__ import annotations

import argparse
import os
import time

import cv2

from agent.sim.render import ScenarioRenderer
from agent.sim.scenarios import SCENARIOS
from agent.sim.truth import ClipSettings, build_truth

LIVE_FPS = 15.0


def main() -> None:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="simulated seconds per scenario")
    parser.add_argument("--size", default="640x480", help="image size WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)
    frames = int(args.seconds * LIVE_FPS)
    print(
        f"{'scenario':<10} {'people':>6} {'setup s':>8} {'render fps':>11} {'ms/frame':>9} {'truth s':>8}  live {LIVE_FPS:g} fps"
    )
    for name, scenario in SCENARIOS.items():
        people = scenario.people(1, 0.0, args.seconds)
        started = time.perf_counter()
        renderer = ScenarioRenderer(scenario, people, width, height, seed=1)
        setup_s = time.perf_counter() - started
        started = time.perf_counter()
        for index in range(frames):
            renderer.frame(index / LIVE_FPS)
        render_s = time.perf_counter() - started
        started = time.perf_counter()
        build_truth(scenario, people, ClipSettings(name, 1, args.seconds, LIVE_FPS, width, height))
        truth_s = time.perf_counter() - started
        fps = frames / render_s
        print(
            f"{name:<10} {len(people):>6} {setup_s:>8.2f} {fps:>11.1f} {1000 / fps:>9.1f} {truth_s:>8.2f}  "
            f"{'ok' if fps >= LIVE_FPS else 'TOO SLOW'}"
        )


if __name__ == "__main__":
    main()
