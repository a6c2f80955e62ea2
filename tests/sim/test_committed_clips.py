"""The committed scenario clips: their ground truth regenerates byte for byte and agrees with the geometry."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import cv2
import numpy as np
import pytest

from agent.geometry.shapes import FloorLine, segments_cross
from agent.publish.payloads import DwellBin, Flow, HeatmapCell, LineCount, ZoneDwell, ZoneOccupancy
from agent.sim.clip import scenario_truth
from agent.sim.scenarios import SCENARIOS
from agent.sim.truth import ClipSettings, encode_truth

CLIPS = Path(__file__).resolve().parents[2] / "sim_videos"
TRUTHS = sorted(CLIPS.glob("*.truth.json"))
SCENARIO_TRUTHS = [p for p in TRUTHS if p.name.split(".")[0] in SCENARIOS]


def _settings_from_command(command: str) -> ClipSettings:
    args = shlex.split(command)
    value = {args[i]: args[i + 1] for i in range(2, len(args) - 1, 2)}
    width, height = (int(v) for v in value["--size"].split("x"))
    return ClipSettings(
        value["--scenario"],
        int(value["--seed"]),
        float(value["--minutes"]) * 60.0,
        float(value["--fps"]),
        width,
        height,
        int(value["--bucket"]),
    )


def test_every_scenario_has_a_committed_clip_sheet_and_listed_command() -> None:
    readme = (CLIPS / "README.md").read_text(encoding="utf-8")
    assert {p.name.split(".")[0] for p in SCENARIO_TRUTHS} == set(SCENARIOS)
    for truth_path in SCENARIO_TRUTHS:
        name = truth_path.name.split(".")[0]
        command = json.loads(truth_path.read_text(encoding="utf-8"))["command"]
        assert command in readme
        assert (CLIPS / f"{name}.mp4").stat().st_size > 0 and (CLIPS / f"{name}.sheet.jpg").stat().st_size > 0
    assert sum(p.stat().st_size for p in CLIPS.iterdir()) < 20 * 1024 * 1024


@pytest.mark.parametrize("truth_path", SCENARIO_TRUTHS, ids=lambda p: p.name)
def test_ground_truth_regenerates_identically(truth_path: Path) -> None:
    committed = truth_path.read_bytes()
    command = json.loads(committed)["command"]
    assert encode_truth(scenario_truth(_settings_from_command(command), command)) == committed


@pytest.mark.parametrize("truth_path", SCENARIO_TRUTHS, ids=lambda p: p.name)
def test_clip_frames_match_the_truth(truth_path: Path) -> None:
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    capture = cv2.VideoCapture(str(truth_path.with_name(truth_path.name.replace(".truth.json", ".mp4"))))
    try:
        assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == len(truth["frames"])
        ok, image = capture.read()
        assert ok and image.shape == (truth["height_px"], truth["width_px"], 3)
    finally:
        capture.release()


@pytest.mark.parametrize("truth_path", SCENARIO_TRUTHS, ids=lambda p: p.name)
def test_every_crossing_is_a_real_crossing_of_the_floor_track(truth_path: Path) -> None:
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    lines = {
        d["name"]: FloorLine(d["name"], tuple(d["start"]), tuple(d["end"]), d["in_side"])
        for d in truth["lines"]
    }
    tracks: dict[int, list[tuple[float, float, float]]] = {}
    for t_s, rows in truth["frames"]:
        for pid, x, y, _u, _v in rows:
            tracks.setdefault(pid, []).append((t_s, x, y))
    for crossing in truth["crossings"]:
        line = lines[crossing["line"]]
        track = np.array(tracks[crossing["pid"]])
        after = int(np.searchsorted(track[:, 0], crossing["t_s"], side="left"))
        assert 0 < after < len(track), f"crossing {crossing} at the edge of the track"
        a, b = track[after - 1, 1:], track[after, 1:]
        start, end = np.array(line.start_m), np.array(line.end_m)
        assert bool(segments_cross(a, b, start, end)), (
            f"{truth_path.name}: {crossing} does not cross {line.name}"
        )
        # The first frame after the crossing that is off the line (positions are stored to the
        # millimetre, so a crossing just before a frame can leave that frame on the line).
        sides = line.side(track[after:, 1:])
        side_after = int(sides[np.flatnonzero(sides)[0]]) if sides.any() else 0
        assert side_after == (1 if crossing["direction"] == "in" else -1), crossing


@pytest.mark.parametrize("truth_path", SCENARIO_TRUTHS, ids=lambda p: p.name)
def test_buckets_have_the_report_shapes_and_add_up(truth_path: Path) -> None:
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    total_in = sum(c["direction"] == "in" for c in truth["crossings"])
    bucket_in = 0
    for bucket in truth["buckets"]:
        for row in bucket["counts"]["lines"]:
            bucket_in += LineCount.model_validate(row).people_in
        for row in bucket["occupancy"]["zones"]:
            ZoneOccupancy.model_validate(row)
        for row in bucket["dwell"]["zones"]:
            assert all(isinstance(b, DwellBin) for b in ZoneDwell.model_validate(row).bins)
        for row in bucket["heatmap"]["cells"]:
            HeatmapCell.model_validate(row)
        for row in bucket["flows"]["flows"]:
            Flow.model_validate(row)
    assert bucket_in == total_in
    person_s = sum(c["person_s"] for c in truth["heatmap"]["cells"])
    frames_people = sum(len(rows) for _t, rows in truth["frames"])
    assert person_s <= frames_people / truth["fps"] + 1e-6


def test_the_readme_lists_each_clips_true_counts() -> None:
    readme = (CLIPS / "README.md").read_text(encoding="utf-8")
    for truth_path in SCENARIO_TRUTHS:
        name = truth_path.name.split(".")[0]
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        row = next(line for line in readme.splitlines() if line.startswith(f"| {name} |"))
        for line in truth["lines"]:
            counts = {
                d: sum(1 for c in truth["crossings"] if c["line"] == line["name"] and c["direction"] == d)
                for d in ("in", "out")
            }
            assert f"{line['name']} in={counts['in']} out={counts['out']}" in row, row
