"""``footfall calibrate lens | board | floor | quick | show | serve``: the installer's calibration commands.

Library code raises ``CalibrationError``; only here is it turned into one
line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from agent.calibrate.board import PAPER_MM, Checkerboard, write_board
from agent.calibrate.floor import DEFAULT_MAX_ERROR_CM, MARKS_HEADER, fit_floor_pose, read_marks
from agent.calibrate.lens import DEFAULT_MAX_RMS_PX, DEFAULT_MIN_VIEWS, IMAGE_SUFFIXES, calibrate_lens
from agent.calibrate.summary import format_summary, summarise
from agent.geometry.calibration_file import (
    CalibrationQuality,
    load_calibration,
    load_lens,
    load_quality,
    save_calibration,
)
from agent.geometry.camera import CameraModel
from agent.geometry.errors import CalibrationError
from agent.geometry.lens import Lens
from agent.geometry.pose import Pose

Command = Callable[[argparse.Namespace], int]
EXIT_USER_ERROR = 2


def add_calibrate_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``calibrate`` and its subcommands on a ``footfall`` subparsers object."""
    calibrate = subparsers.add_parser(
        "calibrate",
        help="calibrate the camera: lens, floor pose, printable board, check a calibration",
        description=(
            "Calibration turns pixels into metres on the shop floor. Usual order: print a board "
            "('board'), photograph it and calibrate the lens ('lens'), mount the camera and measure "
            "floor marks ('floor'), then check the result ('show'). For a camera looking straight "
            "down with a known lens, 'quick' replaces 'lens' and 'floor'. See calibration/README.md."
        ),
    )
    commands = calibrate.add_subparsers(dest="calibrate_command", metavar="COMMAND", required=True)
    _add_board(commands)
    _add_lens(commands)
    _add_floor(commands)
    _add_quick(commands)
    _add_show(commands)
    _add_serve(commands)


def _add_board_shape(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cols", type=int, default=9, help="inner corners across the board (squares minus one; default 9)"
    )
    parser.add_argument(
        "--rows", type=int, default=6, help="inner corners down the board (squares minus one; default 6)"
    )
    parser.add_argument(
        "--square-mm",
        type=_positive_float,
        default=25.0,
        help="side of one square in millimetres; for 'lens' measure it on the print (default 25)",
    )


def _add_board(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "board",
        help="write a printable checkerboard (PDF or PNG) at a stated physical size",
        description=(
            "Write a checkerboard to print for 'footfall calibrate lens'. PDF is vector and exact "
            "on any printer; PNG carries its DPI. Print at 100 % (no 'fit to page'), glue it to "
            "something flat, and measure a square to check the size."
        ),
    )
    parser.add_argument("--out", type=Path, required=True, help="output file, .pdf or .png")
    _add_board_shape(parser)
    parser.add_argument(
        "--paper", choices=sorted(PAPER_MM), default="a4", help="paper size (default a4; turned as needed)"
    )
    parser.add_argument("--dpi", type=int, default=300, help="PNG resolution in dots per inch (default 300)")
    parser.set_defaults(func=_guarded(_run_board))


def _add_lens(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "lens",
        help="calibrate the lens (focal length, centre, distortion) from checkerboard photos",
        description=(
            "Find the checkerboard in every image of a folder and solve the lens intrinsics and "
            "distortion with OpenCV. Images are read in place and never copied. Refuses when the "
            f"board is found in too few images or the RMS reprojection error is above --max-rms-px. "
            f"Image types: {' '.join(IMAGE_SUFFIXES)}. Writes a calibration file with no pose yet."
        ),
    )
    parser.add_argument("--images", type=Path, required=True, help="folder with the checkerboard photographs")
    parser.add_argument("--out", type=Path, required=True, help="calibration file to write (JSON)")
    parser.add_argument(
        "--kind",
        choices=("pinhole", "fisheye"),
        default="pinhole",
        help="lens model: pinhole (k1 k2 p1 p2 k3, up to ~120 degrees) or fisheye (equidistant k1..k4)",
    )
    _add_board_shape(parser)
    parser.add_argument(
        "--max-rms-px",
        type=_positive_float,
        default=DEFAULT_MAX_RMS_PX,
        help=f"refuse above this RMS reprojection error, pixels (default {DEFAULT_MAX_RMS_PX:g})",
    )
    parser.add_argument(
        "--min-images",
        type=int,
        default=DEFAULT_MIN_VIEWS,
        help=f"refuse with fewer images where the board was found (default {DEFAULT_MIN_VIEWS})",
    )
    parser.set_defaults(func=_guarded(_run_lens))


def _add_floor(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "floor",
        help="solve the camera pose from floor marks measured with a tape",
        description=(
            "Solve where the camera is and how it is tilted from four or more floor marks: each "
            f"mark's pixel and its measured floor position. The marks file is CSV with the header "
            f"{','.join(MARKS_HEADER)} (pixels and metres). Prints every mark's error in cm and "
            "refuses fewer than 4 marks, marks on one line, or any error above --max-error-cm."
        ),
    )
    parser.add_argument("--lens", type=Path, required=True, help="calibration file holding the lens")
    parser.add_argument("--marks", type=Path, required=True, help="CSV file of floor marks")
    parser.add_argument("--out", type=Path, required=True, help="calibration file to write (may be --lens)")
    parser.add_argument(
        "--max-error-cm",
        type=_positive_float,
        default=DEFAULT_MAX_ERROR_CM,
        help="refuse if any mark is farther than this from its measurement, cm "
        f"(default {DEFAULT_MAX_ERROR_CM:g})",
    )
    parser.set_defaults(func=_guarded(_run_floor))


def _add_quick(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "quick",
        help="calibrate a camera looking straight down from its mounting height (no marks)",
        description=(
            "For simple installs: the camera looks straight down (checked with a spirit level) from "
            "a measured height. Give the lens either as a calibration file (--lens) or as its "
            "horizontal field of view and image size. The image centre is at (--x-m, --y-m)."
        ),
    )
    parser.add_argument(
        "--mounting-height-m",
        type=_positive_float,
        required=True,
        help="height of the lens above the floor, metres",
    )
    parser.add_argument("--out", type=Path, required=True, help="calibration file to write (JSON)")
    parser.add_argument("--lens", type=Path, help="calibration file holding the lens (from 'calibrate lens')")
    parser.add_argument("--hfov-deg", type=_positive_float, help="horizontal field of view, degrees")
    parser.add_argument("--image-width-px", type=int, help="image width, pixels (with --hfov-deg)")
    parser.add_argument("--image-height-px", type=int, help="image height, pixels (with --hfov-deg)")
    parser.add_argument(
        "--kind",
        choices=("pinhole", "fisheye"),
        default="pinhole",
        help="lens model for --hfov-deg (default pinhole)",
    )
    parser.add_argument("--x-m", type=float, default=0.0, help="floor x under the camera, metres (default 0)")
    parser.add_argument("--y-m", type=float, default=0.0, help="floor y under the camera, metres (default 0)")
    parser.add_argument(
        "--heading-deg",
        type=float,
        default=90.0,
        help="floor direction the top of the image points to, degrees counter-clockwise from +x "
        "(default 90: image right is +x, image up is +y)",
    )
    parser.set_defaults(func=_guarded(_run_quick))


def _add_show(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "show",
        help="print mounting height, tilt, floor area covered and ground resolution of a calibration",
        description=(
            "Print the figures an installer checks a calibration by: mounting height (m), tilt "
            "(degrees from straight down), floor area covered at the floor and at head height (m^2), "
            "and ground resolution (cm per pixel) at the image centre and its worst edge point."
        ),
    )
    parser.add_argument("calibration", type=Path, help="calibration file to show")
    parser.add_argument(
        "--head-height-m",
        type=_positive_float,
        default=1.6,
        help="head height for coverage, metres (default 1.6)",
    )
    parser.set_defaults(func=_guarded(_run_show))


def _add_serve(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "serve",
        help="serve the calibration page: live view, floor marks, lines, zones, tally (off by default)",
        description=(
            "Start a local web page on the device for the installer: live view from RAM with detections "
            "and lines drawn over it, floor calibration by clicking marks, counting lines and zones drawn "
            "on the image or the floor plan and saved into the config (with a backup), and an in/out "
            "tally to validate the counts. Nothing is stored and no image is sent anywhere but to the "
            "browser holding the one-time token printed here. Stop 'footfall run' first: the page opens "
            "the camera itself. See docs/calibration-page.md."
        ),
    )
    parser.add_argument("--config", type=Path, required=True, help="device config (TOML) to calibrate")
    parser.add_argument(
        "--lan",
        action="store_true",
        help="listen on every network interface (a phone on the shop Wi-Fi); default: this device only",
    )
    parser.add_argument(
        "--port", type=int, default=8088, help="TCP port (default 8088; 0 picks a free one and prints it)"
    )
    parser.add_argument(
        "--idle-timeout-s",
        type=_positive_float,
        default=900.0,
        help="stop after this many seconds without a request from the page (default 900)",
    )
    parser.set_defaults(func=_guarded(_run_serve))


def _run_serve(args: argparse.Namespace) -> int:
    # Imported here: the web server is not loaded by the other calibrate commands.
    from agent.calibrate.serve.server import run_calibration_page
    from agent.errors import FootfallError

    try:
        run_calibration_page(args.config, lan=args.lan, port=args.port, idle_timeout_s=args.idle_timeout_s)
    except FootfallError as error:  # a bad config, or a camera that cannot be opened
        print(f"footfall calibrate serve: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


def _run_board(args: argparse.Namespace) -> int:
    board = Checkerboard(args.cols, args.rows, args.square_mm)
    paper_w, paper_h = write_board(board, args.out, args.paper, args.dpi)
    board_w, board_h = board.size_mm
    print(f"wrote {args.out}: {board_w:g} x {board_h:g} mm board on {paper_w:g} x {paper_h:g} mm paper")
    print(f"print at 100 % and check that one square measures {board.square_mm:g} mm")
    return 0


def _run_lens(args: argparse.Namespace) -> int:
    board = Checkerboard(args.cols, args.rows, args.square_mm)
    result = calibrate_lens(args.images, board, args.kind, args.max_rms_px, args.min_images)
    save_calibration(
        result.lens,
        args.out,
        quality=CalibrationQuality(lens_rms_px=result.rms_px),
        created_by="footfall calibrate lens",
    )
    lens = result.lens
    print(f"board found in {len(result.used)} images", end="")
    if result.board_not_found:
        print(f"; not found in {', '.join(p.name for p in result.board_not_found)}", end="")
    print()
    print(
        f"{lens.kind} lens {lens.width_px}x{lens.height_px} px: fx {lens.fx:.1f} fy {lens.fy:.1f} px, "
        f"centre ({lens.cx:.1f}, {lens.cy:.1f}) px, distortion {[round(k, 5) for k in lens.distortion]}"
    )
    print(f"RMS reprojection error {result.rms_px:.3f} px (limit {args.max_rms_px:g} px)")
    print(f"wrote {args.out}")
    return 0


def _run_floor(args: argparse.Namespace) -> int:
    lens = load_lens(args.lens)
    lens_quality = load_quality(args.lens)
    fit = fit_floor_pose(lens, read_marks(args.marks), args.max_error_cm)
    save_calibration(
        fit.model,
        args.out,
        quality=CalibrationQuality(
            lens_rms_px=lens_quality.lens_rms_px, floor_rms_cm=fit.rms_cm, floor_max_cm=fit.max_cm
        ),
        created_by="footfall calibrate floor",
    )
    print(f"{'mark':<12} {'error cm':>9} {'image px':>9}")
    for mark, error_cm, error_px in zip(fit.marks, fit.errors_cm, fit.reprojection_px, strict=True):
        print(f"{mark.name:<12} {error_cm:>9.1f} {error_px:>9.1f}")
    print(f"RMS {fit.rms_cm:.1f} cm, worst {fit.max_cm:.1f} cm (limit {args.max_error_cm:g} cm)")
    _print_summary(fit.model)
    print(f"wrote {args.out}")
    return 0


def _run_quick(args: argparse.Namespace) -> int:
    by_fov = (args.hfov_deg, args.image_width_px, args.image_height_px)
    if args.lens is not None and any(value is not None for value in by_fov):
        raise CalibrationError(
            "give either --lens or --hfov-deg with --image-width-px/--image-height-px, not both"
        )
    if args.lens is not None:
        lens = load_lens(args.lens)
    elif all(value is not None for value in by_fov):
        lens = Lens.from_hfov(args.image_width_px, args.image_height_px, args.hfov_deg, args.kind)
    else:
        raise CalibrationError(
            "quick needs the lens: --lens FILE, or --hfov-deg with --image-width-px and --image-height-px"
        )
    position = (args.x_m, args.y_m, args.mounting_height_m)
    model = CameraModel(lens, Pose.looking_down(position, tilt_deg=0.0, heading_deg=args.heading_deg))
    save_calibration(model, args.out, created_by="footfall calibrate quick")
    _print_summary(model)
    print(f"wrote {args.out}")
    return 0


def _run_show(args: argparse.Namespace) -> int:
    model = load_calibration(args.calibration)
    quality = load_quality(args.calibration)
    print(f"calibration {args.calibration}")
    print(
        f"lens:              {model.kind} {model.width_px}x{model.height_px} px, "
        f"fx {model.fx:.1f} fy {model.fy:.1f} px, centre ({model.cx:.1f}, {model.cy:.1f}) px"
    )
    if quality.lens_rms_px is not None:
        print(f"lens RMS error:    {quality.lens_rms_px:.3f} px")
    if quality.floor_rms_cm is not None and quality.floor_max_cm is not None:
        print(f"floor mark error:  RMS {quality.floor_rms_cm:.1f} cm, worst {quality.floor_max_cm:.1f} cm")
    _print_summary(model, args.head_height_m)
    return 0


def _print_summary(model: CameraModel, head_height_m: float = 1.6) -> None:
    for line in format_summary(summarise(model, head_height_m)):
        print(line)


def _guarded(command: Command) -> Command:
    """Run ``command``, turning bad-input errors into one line on stderr and exit code 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (CalibrationError, ValueError) as error:
            # ValueError here comes from validating constructors (board, lens) fed by arguments
            print(f"footfall calibrate {args.calibrate_command}: {error}", file=sys.stderr)
        except OSError as error:
            print(f"footfall calibrate {args.calibrate_command}: {error}", file=sys.stderr)
        return EXIT_USER_ERROR

    run.__doc__ = command.__doc__
    return run


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} should be a finite number > 0")
    return value
