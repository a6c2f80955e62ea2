"""The calibration page's parts without a browser: config writing, geometry, tally, API errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_serve_support import make_site, true_camera

from agent.analytics.config import LineConfig, ZoneConfig
from agent.calibrate.serve.api import ApiError, CalibrationApi
from agent.calibrate.serve.auth import SessionToken
from agent.calibrate.serve.config_writer import layout_text, save_layout
from agent.calibrate.serve.live import LiveSession
from agent.calibrate.serve.overlay import line_arrow_m, shape_runs
from agent.calibrate.serve.tally import Tally, accuracy
from agent.config import load_config
from agent.errors import ConfigError

DOOR = LineConfig(name="door", start=(-1.2, 0.3), end=(1.2, 0.3))
ZONE = ZoneConfig(name="entrance", polygon=[(-1.5, 0.3), (1.5, 0.3), (1.5, 2.2)])


def test_layout_text_replaces_lines_and_zones_and_keeps_the_rest() -> None:
    text = '# my shop\n[device]\nsite = "s"  # the site\nid = "d"\n\n[[lines]]\nname = "old"\nstart = [0, 0]\nend = [1, 0]\n'
    updated = layout_text(text, [DOOR], [ZONE])
    assert "# my shop" in updated and "# the site" in updated
    assert 'name = "old"' not in updated
    assert 'name = "door"' in updated and "start = [-1.2, 0.3]" in updated
    assert "polygon = [[-1.5, 0.3], [1.5, 0.3], [1.5, 2.2]]" in updated
    assert "[[lines]]" not in layout_text(text, [], [])


def test_an_invalid_layout_writes_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    before = site.config_file.read_text()
    with pytest.raises(ConfigError, match="repeated: door"):
        save_layout(site.config_file, [DOOR, DOOR], [])
    assert site.config_file.read_text() == before
    assert list(site.config.glob("*.bak-*")) == []


def test_save_keeps_a_backup_per_save(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    first = save_layout(site.config_file, [DOOR], [])
    second = save_layout(site.config_file, [DOOR], [ZONE])
    assert first.config_backup != second.config_backup
    assert "[[lines]]" not in first.config_backup.read_text()
    assert "[[zones]]" not in second.config_backup.read_text()
    assert len(load_config(site.config_file).zones) == 1
    assert first.calibration is None, "no pose solved: the calibration file is left alone"


@pytest.mark.parametrize(
    ("in_side", "expected_y"), [("left", 0.8), ("right", -0.2)], ids=["left-is-plus-y", "right-is-minus-y"]
)
def test_the_in_arrow_points_to_the_in_side(in_side: str, expected_y: float) -> None:
    tail, head = line_arrow_m(DOOR.model_copy(update={"in_side": in_side}), length_m=0.5)
    assert tail == pytest.approx((0.0, 0.3))
    assert head == pytest.approx((0.0, expected_y))


def test_shapes_drawn_on_the_image_land_back_on_the_floor() -> None:
    camera = true_camera()
    (run,) = shape_runs(camera, [DOOR.start, DOOR.end])
    back = camera.pixels_to_floor(np.array(run))
    np.testing.assert_allclose(back[[0, -1]], [DOOR.start, DOOR.end], atol=1e-3)
    assert shape_runs(camera, [(30.0, 30.0), (31.0, 30.0)]) == [], "far off the image: nothing to draw"


@pytest.mark.parametrize(
    ("tally", "device", "expected"),
    [(0, 3, None), (10, 10, 1.0), (10, 9, 0.9), (10, 12, 0.8), (2, 7, 0.0)],
)
def test_accuracy(tally: int, device: int, expected: float | None) -> None:
    assert accuracy(tally, device) == (expected if expected is None else pytest.approx(expected))


def test_tally_summary_is_counts_only() -> None:
    tally = Tally("door", epoch=1)
    for direction in ("in", "in", "out"):
        tally.press(direction)  # type: ignore[arg-type]
    summary = tally.summary(device_in=2, device_out=2)
    assert summary["tally"] == {"in": 2, "out": 1}
    assert summary["accuracy"]["overall"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="expected 'in' or 'out'"):
        tally.press("sideways")  # type: ignore[arg-type]


@pytest.fixture
def api(tmp_path: Path) -> CalibrationApi:
    site = make_site(tmp_path)
    config = load_config(site.config_file)
    return CalibrationApi(LiveSession(config, site.config_file), config, site.config_file)


def test_marks_solve_the_true_pose(api: CalibrationApi) -> None:
    camera = true_camera()
    floor = np.array([(-2.0, -1.2), (2.0, -1.2), (2.2, 2.4), (-2.2, 2.4)])
    pixels = camera.floor_to_pixels(floor)
    marks = [
        {"name": n, "u": p[0], "v": p[1], "x": f[0], "y": f[1]}
        for n, p, f in zip("ABCD", pixels, floor, strict=True)
    ]
    result = api.calibrate({"marks": marks})
    assert result["accepted"] and result["max_cm"] < 0.1
    assert result["height_m"] == pytest.approx(3.2, abs=1e-3)
    (point,) = api.floor_points({"pixels": [pixels[0].tolist()]})["points_m"]
    assert point == pytest.approx(floor[0], abs=1e-3)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"marks": []}, 400, "at least 4 marks, got 0"),
        (
            {"marks": [{"u": 1, "v": 2, "x": "one", "y": 0}]},
            400,
            "mark mark 1: x is 'one', expected a finite number",
        ),
        ({"marks": "A"}, 400, "marks is 'A', expected a list"),
    ],
)
def test_bad_marks_are_answered_with_the_field(api: CalibrationApi, body, status: int, message: str) -> None:
    with pytest.raises(ApiError) as caught:
        api.calibrate(body)
    assert caught.value.status == status and message in caught.value.message


def test_bad_layout_is_answered_with_the_field(api: CalibrationApi) -> None:
    bad_line = {"name": "no spaces", "start": [0, 0], "end": [1, 0]}
    with pytest.raises(ApiError, match=r"lines\[0\]\.name"):
        api.layout({"lines": [bad_line], "zones": []})
    with pytest.raises(ApiError, match="same point"):
        api.layout({"lines": [{"name": "a", "start": [0, 0], "end": [0, 0]}], "zones": []})
    with pytest.raises(ApiError, match=r"zones\[0\]\.polygon"):
        api.layout({"lines": [], "zones": [{"name": "z", "polygon": [[0, 0], [1, 0]]}]})


def test_tokens_are_long_random_and_compared_exactly() -> None:
    first, second = SessionToken(), SessionToken()
    assert first.value != second.value and len(first.value) >= 40
    assert first.matches(first.value) and not first.matches(second.value) and not first.matches(None)
    assert first.from_headers({"Cookie": f"other=1; footfall_calibration={first.value}"})
    assert not first.from_headers({"Cookie": "footfall_calibration=" + first.value[:-1]})
    assert {"HttpOnly", "SameSite=Strict"} <= set(first.set_cookie_header().split("; "))


def test_lan_addresses_carry_the_token_and_never_the_wildcard() -> None:
    from agent.calibrate.serve.server import page_urls

    token = SessionToken()
    assert page_urls("127.0.0.1", 8088, token) == [f"http://127.0.0.1:8088/?token={token.value}"]
    urls = page_urls("0.0.0.0", 8088, token)
    assert urls and all(u.endswith(f":8088/?token={token.value}") and "0.0.0.0" not in u for u in urls)
