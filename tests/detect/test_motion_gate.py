"""The motion gate opens on movement, at the maximum interval and on new sources; not on a still or re-exposed scene."""

from __future__ import annotations

import numpy as np
import pytest

from agent.detect import GatedDetector, MotionGate, build_motion_gate
from agent.detect.config import BackgroundDetectorConfig, MotionGateConfig, OnnxDetectorConfig
from agent.types import Detections, Frame, FrameMeta

_W, _H = 320, 240


def _scene(
    square_at: tuple[int, int] | None = None,
    gain: float = 1.0,
    noise_seed: int = 0,
    lamp: float = 0.0,
    size_px: int = 40,
) -> np.ndarray:
    """A textured shop floor with sensor noise, optionally a dark `size_px` square 'person' at (u, v).

    `gain` scales the whole picture (auto exposure); `lamp` adds a pool of
    light, brightest on the right (a light bank switching on).
    """
    rng = np.random.default_rng(noise_seed)
    ys, xs = np.mgrid[0:_H, 0:_W]
    floor = 120 + 30 * ((xs // 40 + ys // 40) % 2)
    image = floor + rng.normal(0, 3, size=(_H, _W))
    if square_at is not None:
        u, v = square_at
        image[v : v + size_px, u : u + size_px] = 40
    light = 1.0 + lamp * np.exp(-((xs - 300.0) ** 2 + (ys - 120.0) ** 2) / (2 * 90.0**2))
    grey = np.clip(image * gain * light, 0, 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def _frame(index: int, t_s: float, image: np.ndarray) -> Frame:
    return Frame(FrameMeta(index, t_s, _W, _H), image)


EMPTY = _scene()
PERSON = _scene((100, 100))

# Each case: the first frame (t = 0, the gate always opens on it), the frames after it
# as (t_s, image), and whether the gate opens on each. The small frame is 64 px wide,
# a fifth of these 320 px frames.
CASES = [
    (
        "still scene, new noise each frame",
        EMPTY,
        [(0.1, _scene(noise_seed=1)), (0.2, _scene(noise_seed=2))],
        [False, False],
    ),
    ("a person walks in", EMPTY, [(0.1, _scene((100, 100), noise_seed=1))], [True]),
    (
        "a person shifts 1 px, a fifth of a small pixel",
        PERSON,
        [(0.1, _scene((101, 100), noise_seed=1))],
        [False],
    ),
    ("a person jumps 10 px", PERSON, [(0.1, _scene((110, 100), noise_seed=1))], [True]),
    (
        "a person creeps 1 px a frame: the change since the last detection adds up",
        PERSON,
        [(0.05 * k, _scene((100 + k, 100), noise_seed=k)) for k in range(1, 9)],
        [
            False,
            False,
            False,
            False,
            False,
            True,
            False,
            False,
        ],  # opens after 6 px: over a small pixel (5 px)
    ),
    (
        "auto exposure brightens the whole picture by 40 %",
        EMPTY,
        [(0.1, _scene(gain=1.4, noise_seed=1))],
        [False],
    ),
    (
        "nothing moves for longer than max_interval_s",
        EMPTY,
        [(0.3, _scene(noise_seed=1)), (0.6, _scene(noise_seed=2))],
        [False, True],
    ),
    (
        "time goes backwards: a new source",
        EMPTY,
        [(0.1, _scene(noise_seed=1)), (0.05, _scene(noise_seed=2))],
        [False, True],
    ),
]


@pytest.mark.parametrize(("fraction", "opens"), [(None, True), (0.01, False)])
def test_one_person_walking_into_an_empty_shop_opens_the_gate(fraction: float | None, opens: bool) -> None:
    """A lone walker under a pinhole camera 3.2 m up changes 10-30 of the small frame's 3,072 pixels (the
    `entrance` clips): the default, 0.005 (15 pixels), opens for a 20 px square, 16 small pixels changed; 0.01 did
    not, and the gate waited for `idle_interval_s` while they crossed the door line."""
    config = MotionGateConfig() if fraction is None else MotionGateConfig(min_changed_fraction=fraction)
    gate = MotionGate(config)
    assert gate.should_detect(_frame(0, 0.0, EMPTY))
    assert gate.should_detect(_frame(1, 0.1, _scene((100, 100), noise_seed=1, size_px=20))) is opens


@pytest.mark.parametrize(("name", "first", "frames", "expected"), CASES, ids=[c[0] for c in CASES])
def test_gate_decisions(name, first, frames, expected):
    gate = MotionGate(MotionGateConfig(max_interval_s=0.5, pixel_threshold=14.0, min_changed_fraction=0.01))
    assert gate.should_detect(_frame(0, 0.0, first))
    decisions = [gate.should_detect(_frame(i + 1, t, image)) for i, (t, image) in enumerate(frames)]
    assert decisions == expected
    assert gate.frames_seen == len(frames) + 1
    assert gate.frames_opened == 1 + sum(expected)


@pytest.mark.parametrize(
    ("tracking", "opened_at_s"),
    [(True, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]), (False, [0.0, 2.0])],
    ids=["someone tracked: every max_interval_s", "nobody tracked: every idle_interval_s"],
)
def test_still_scene_is_checked_again_sooner_while_someone_is_tracked(tracking, opened_at_s):
    gate = MotionGate(MotionGateConfig(max_interval_s=0.5, idle_interval_s=2.0, pixel_threshold=14.0))
    times_s = [round(0.1 * i, 1) for i in range(31)]
    opened = [
        t
        for i, t in enumerate(times_s)
        if gate.should_detect(_frame(i, t, _scene(noise_seed=i)), tracking=tracking)
    ]
    assert opened == opened_at_s


def test_a_track_awaiting_confirmation_opens_the_gate_on_every_frame():
    """A newcomer is confirmed in `min_hits` consecutive frames, not one look per max_interval_s."""
    gate = MotionGate(MotionGateConfig(max_interval_s=0.5, idle_interval_s=2.0, pixel_threshold=14.0))
    assert gate.should_detect(_frame(0, 0.0, PERSON))
    still = [_frame(i, 0.1 * i, _scene((100, 100), noise_seed=i)) for i in range(1, 4)]
    assert [gate.should_detect(f, watching=True) for f in still] == [True, True, True]
    assert gate.moved_box_px is None, "nothing moved: the whole frame is looked at"
    later = [_frame(i, 0.1 * i, _scene((100, 100), noise_seed=i)) for i in range(4, 8)]
    assert [gate.should_detect(f, watching=False) for f in later] == [False, False, False, False]


class _Nobody:
    """A detector that finds nobody (the gate's flags are what is tested)."""

    def detect(self, frame: Frame) -> Detections:
        return Detections.empty(frame.meta.t_s)


def test_a_gate_built_for_a_pipeline_tells_how_near_a_line_it_watches():
    assert GatedDetector(_Nobody(), MotionGate(MotionGateConfig(line_watch_m=1.5))).line_watch_m == 1.5
    assert GatedDetector(_Nobody(), None).line_watch_m == 0.0, "no gate: every frame is detected anyway"


def test_movement_opens_the_gate_while_nobody_is_tracked():
    gate = MotionGate(MotionGateConfig(max_interval_s=0.5, idle_interval_s=2.0, pixel_threshold=14.0))
    assert gate.should_detect(_frame(0, 0.0, EMPTY), tracking=False)
    assert not gate.should_detect(_frame(1, 0.1, _scene(noise_seed=1)), tracking=False)
    assert gate.should_detect(_frame(2, 0.2, _scene((100, 100), noise_seed=2)), tracking=False)


def test_a_frame_of_another_size_opens_the_gate_at_once_and_looks_at_all_of_it():
    """A source switched to another resolution without its clock going back is a new picture."""
    gate = MotionGate(MotionGateConfig(max_interval_s=0.5, pixel_threshold=14.0))
    assert gate.should_detect(_frame(0, 0.0, EMPTY))
    smaller = EMPTY[: _H // 2, : _W // 2].copy()
    assert gate.should_detect(Frame(FrameMeta(1, 0.1, _W // 2, _H // 2), smaller))
    assert gate.moved_box_px is None
    assert not gate.should_detect(Frame(FrameMeta(2, 0.2, _W // 2, _H // 2), smaller))


LAMP_ON = _scene(lamp=4.0)  # a pool of light, clipped white at its centre: +76 grey levels on average
FLICKER = [(round(0.1 * k, 1), _scene(lamp=4.0 if k % 2 else 0.0, noise_seed=k)) for k in range(1, 8)]


@pytest.mark.parametrize(
    ("light_jump_grey", "then", "opened_at_s"),
    [
        (40.0, LAMP_ON, [0.5]),  # only at max_interval_s while the light keeps jumping
        (40.0, _scene((100, 100), lamp=4.0, noise_seed=9), [0.5, 0.8]),  # steady light, someone walks in
        (255.0, LAMP_ON, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]),  # without the test: every flicker opens
    ],
    ids=["tube flickers then stays on", "someone walks in once it is steady", "light jumps not recognised"],
)
def test_a_flickering_light_does_not_open_the_gate_but_movement_after_it_does(
    light_jump_grey, then, opened_at_s
):
    gate = MotionGate(
        MotionGateConfig(
            max_interval_s=0.5, idle_interval_s=2.0, pixel_threshold=14.0, light_jump_grey=light_jump_grey
        )
    )
    assert gate.should_detect(_frame(0, 0.0, EMPTY), tracking=False)
    frames = [*FLICKER, (0.8, then), (0.9, then)]
    opened = [
        t
        for i, (t, image) in enumerate(frames)
        if gate.should_detect(_frame(i + 1, t, image), tracking=False)
    ]
    assert opened == opened_at_s


def test_disabled_gate_always_opens():
    gate = MotionGate(MotionGateConfig(enabled=False))
    assert all(gate.should_detect(_frame(i, 0.1 * i, _scene())) for i in range(5))


def test_small_grey_frame_is_normalised_for_brightness():
    gate = MotionGate(MotionGateConfig(width_px=32))
    dim, bright = (gate.small_grey(_frame(0, 0.0, _scene(gain=g))) for g in (0.6, 1.2))
    assert dim.shape == (24, 32)
    assert np.abs(dim - bright).max() < 8.0  # grey levels of 128: the exposure is gone


@pytest.mark.parametrize(
    ("config", "gated"),
    [
        (OnnxDetectorConfig(type="onnx", model="m.onnx"), True),
        (OnnxDetectorConfig(type="onnx", model="m.onnx", motion_gate=MotionGateConfig(enabled=False)), False),
        (BackgroundDetectorConfig(type="background"), False),  # MOG2 must see every frame
    ],
)
def test_which_detectors_are_gated(config, gated):
    assert (build_motion_gate(config) is not None) == gated


@pytest.mark.parametrize(
    ("key", "value"),
    [("width_px", 8), ("pixel_threshold", 0), ("min_changed_fraction", 1.5), ("max_interval_s", 0)],
)
def test_config_rejects_out_of_range(key, value):
    with pytest.raises(ValueError, match=key):
        MotionGateConfig(**{key: value})


def test_config_rejects_an_idle_interval_shorter_than_the_tracked_one():
    with pytest.raises(ValueError, match="idle_interval_s .* max_interval_s"):
        MotionGateConfig(max_interval_s=2.0, idle_interval_s=1.0)
