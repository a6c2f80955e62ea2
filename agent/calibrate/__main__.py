"""``python -m agent.calibrate ...``: the calibration commands without the rest of ``footfall``."""

from __future__ import annotations

import argparse
import sys

from agent.calibrate.cli import add_calibrate_parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` as ``calibrate`` arguments and run the chosen command; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m agent.calibrate")
    commands = parser.add_subparsers(dest="command", required=True)
    add_calibrate_parser(commands)
    args = parser.parse_args(["calibrate", *(sys.argv[1:] if argv is None else argv)])
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
