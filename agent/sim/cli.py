"""`footfall simulate`: render a scenario to an MP4 clip with its ground truth and contact sheet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agent.config_base import parse_size_px
from agent.sim.scenarios import SCENARIOS


def _size(text: str) -> tuple[int, int]:
    size = parse_size_px(text)
    if size is None:
        raise argparse.ArgumentTypeError(f"size {text!r} should be WIDTHxHEIGHT pixels, e.g. 640x480")
    width, height = size
    if width < 64 or height < 48:
        raise argparse.ArgumentTypeError(f"size {text!r} should be at least 64x48 pixels")
    return width, height


class _ProgressBar:
    """A one-line progress bar on stderr, redrawn at most 100 times."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent == self._shown:
            return
        self._shown = percent
        bar = "#" * (percent // 4) + "-" * (25 - percent // 4)
        end = "\n" if done >= total else ""
        print(
            f"\r{self._label} [{bar}] {percent:3d}% ({done}/{total} frames)",
            end=end,
            file=sys.stderr,
            flush=True,
        )


def _cmd_simulate(args: argparse.Namespace) -> int:
    from agent.sim.clip import simulate_command, write_clip
    from agent.sim.truth import ClipSettings

    width, height = args.size
    settings = ClipSettings(
        args.scenario, args.seed, args.minutes * 60.0, args.fps, width, height, args.bucket
    )
    command = simulate_command(settings, str(args.out))
    files = write_clip(
        settings, args.out, command=command, progress=_ProgressBar(f"simulate {args.scenario}")
    )
    print(f"{files.video}\n{files.truth}\n{files.sheet}")
    return 0


def add_simulate_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `simulate` on a `footfall` subparsers object; its `func` returns an exit code."""
    simulate = subparsers.add_parser(
        "simulate",
        help="render a simulated store to an MP4 clip with exact ground truth",
        description="Render a named scenario (people walking, queueing, browsing in a simulated store, "
        "seen by a ceiling camera) to DIR/<scenario>.mp4, with DIR/<scenario>.truth.json (per-frame "
        "positions and head pixels, line crossings, zone visits, heatmap, flows and per-bucket totals "
        "in the shape of the agent's reports) and a contact sheet DIR/<scenario>.sheet.jpg. "
        "The same arguments always give the same ground truth.",
    )
    simulate.add_argument(
        "--scenario", required=True, choices=sorted(SCENARIOS), help="which simulated store to render"
    )
    simulate.add_argument("--seed", type=int, default=1, help="random seed of people and looks (default: 1)")
    simulate.add_argument(
        "--minutes", type=float, default=0.5, help="clip length in minutes of simulated time (default: 0.5)"
    )
    simulate.add_argument("--fps", type=float, default=15.0, help="frames per second (default: 15)")
    simulate.add_argument(
        "--size",
        type=_size,
        default=(640, 480),
        metavar="WxH",
        help="image size in pixels (default: 640x480)",
    )
    simulate.add_argument(
        "--bucket", type=int, default=10, metavar="SECONDS", help="ground-truth bucket length (default: 10)"
    )
    simulate.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder to write the files into"
    )
    simulate.set_defaults(func=_cmd_simulate)
