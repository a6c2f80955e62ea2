"""`footfall calibrate ...` end to end through argparse, as the lead's CLI will call it."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agent.calibrate.board import Checkerboard
from agent.calibrate.cli import add_calibrate_parser
from agent.geometry.calibration_file import load_calibration, load_lens, save_calibration
from agent.geometry.camera import CameraModel
from agent.geometry.lens import Lens
from agent.geometry.pose import Pose

REPO = Path(__file__).resolve().parents[2]


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="footfall")
    add_calibrate_parser(root.add_subparsers(dest="command", required=True))
    return root


def run(*argv: str | Path) -> int:
    args = parser().parse_args(["calibrate", *(str(a) for a in argv)])
    code: int = args.func(args)
    return code


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_and_argument_has_help_text():
    calibrate = _subparsers(parser())["calibrate"]
    commands = _subparsers(calibrate)
    assert set(commands) == {"lens", "board", "floor", "quick", "show", "serve"}
    for name, command in commands.items():
        assert command.description and len(command.description) > 80, name
        for action in command._actions:
            assert action.help, f"calibrate {name} {action.option_strings or action.dest} has no help"


def test_board_writes_a_pdf(tmp_path: Path, capsys):
    assert run("board", "--out", tmp_path / "board.pdf", "--square-mm", "20") == 0
    assert (tmp_path / "board.pdf").read_bytes().startswith(b"%PDF")
    assert "one square measures 20 mm" in capsys.readouterr().out


def test_quick_then_show(tmp_path: Path, capsys):
    path = tmp_path / "camera.json"
    code = run(
        "quick", "--mounting-height-m", "3.2", "--hfov-deg", "90",
        "--image-width-px", "1280", "--image-height-px", "960", "--x-m", "4", "--out", path,
    )  # fmt: skip
    assert code == 0
    model = load_calibration(path)
    assert model.position_m == (4.0, 0.0, 3.2)
    capsys.readouterr()

    assert run("show", path) == 0
    out = capsys.readouterr().out
    assert "mounting height:   3.20 m" in out
    assert "tilt:              0.0 degrees" in out
    assert "area at floor:     30.7 m^2" in out  # 6.4 m x 4.8 m
    assert "ground resolution: centre 0.50 cm/px" in out


def test_lens_then_floor_then_show(tmp_path: Path, capsys, render_views):
    truth_lens = Lens(640, 480, 520.0, 518.0, 322.0, 236.0, "pinhole", (-0.25, 0.08, 0.001, -0.0008, -0.01))
    render_views(truth_lens, Checkerboard(9, 6, 30.0), tmp_path / "photos", 8)
    lens_file = tmp_path / "lens.json"
    assert run("lens", "--images", tmp_path / "photos", "--square-mm", "30", "--out", lens_file) == 0
    assert "RMS reprojection error" in capsys.readouterr().out
    lens = load_lens(lens_file)
    assert lens.fx == pytest.approx(520.0, rel=0.01)

    truth = CameraModel(truth_lens, Pose.looking_down((1.0, 1.0, 3.0), 15.0))
    pixels = np.array([(u, v) for u in (80.0, 320.0, 560.0) for v in (60.0, 240.0, 420.0)])
    floor = truth.pixels_to_floor(pixels)
    rows = [
        f"M{i},{p[0]},{p[1]},{f[0]:.3f},{f[1]:.3f}"
        for i, (p, f) in enumerate(zip(pixels, floor, strict=True))
    ]
    marks = tmp_path / "marks.csv"
    marks.write_text("name,u_px,v_px,x_m,y_m\n" + "\n".join(rows) + "\n")
    camera_file = tmp_path / "camera.json"
    assert run("floor", "--lens", lens_file, "--marks", marks, "--out", camera_file) == 0
    out = capsys.readouterr().out
    assert "M8" in out and "RMS" in out and "mounting height:" in out
    assert load_calibration(camera_file).pose.mounting_height_m == pytest.approx(3.0, abs=0.03)

    assert run("show", camera_file) == 0
    out = capsys.readouterr().out
    assert "lens RMS error:" in out and "floor mark error:  RMS" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "{tmp}/missing.json"], "calibration file '{tmp}/missing.json' does not exist"),
        (["lens", "--images", "{tmp}/none", "--out", "{tmp}/l.json"], "image folder '{tmp}/none' does not exist"),
        (["floor", "--lens", "{tmp}/lens.json", "--marks", "{tmp}/marks.csv", "--out", "{tmp}/c.json"],
         "marks file '{tmp}/marks.csv' cannot be read"),
        (["quick", "--mounting-height-m", "3", "--out", "{tmp}/c.json"], "quick needs the lens: --lens FILE"),
        (["quick", "--mounting-height-m", "3", "--hfov-deg", "200", "--image-width-px", "640",
          "--image-height-px", "480", "--out", "{tmp}/c.json"], "hfov_deg is 200.0"),
        (["board", "--out", "{tmp}/board.pdf", "--cols", "5", "--rows", "5"], "use different counts"),
        (["board", "--out", "{tmp}/no/such/dir/board.pdf"], "No such file or directory"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_on_stderr_and_exit_code_2(tmp_path: Path, capsys, argv, message):
    save_calibration(Lens.from_hfov(640, 480, 90.0), tmp_path / "lens.json")
    code = run(*(a.format(tmp=tmp_path) for a in argv))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"footfall calibrate {argv[0]}: ")
    assert message.format(tmp=tmp_path) in err


def test_a_bad_number_is_refused_by_argparse():
    with pytest.raises(SystemExit) as raised:
        parser().parse_args(["calibrate", "quick", "--mounting-height-m", "-3", "--out", "x.json"])
    assert raised.value.code == 2


def test_python_dash_m_runs_the_commands(tmp_path: Path):
    path = tmp_path / "camera.json"
    save_calibration(CameraModel.straight_down(640, 480, 2.8, hfov_deg=70.0), path)
    done = subprocess.run(
        [sys.executable, "-m", "agent.calibrate", "show", str(path)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "mounting height:   2.80 m" in done.stdout
    assert json.loads(path.read_text())["version"] == 1
