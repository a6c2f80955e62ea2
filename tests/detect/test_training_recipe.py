"""models/train.py runs end to end and writes models the detector opens at any input size.

A two-step run on two tiny episodes and one wide-fisheye episode (about
15 s): it catches a recipe that no longer trains on both input sizes,
exports or quantises (ONNX Runtime's quantiser needs the fixed training
size; the free size is set after). Needs the `train` extra (torch); skipped
without it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from agent.detect import OnnxDetector, OnnxDetectorConfig
from agent.types import Frame, FrameMeta

TRAIN = Path(__file__).resolve().parents[2] / "models" / "train.py"


def test_training_writes_both_models_and_they_take_any_multiple_of_16(tmp_path):
    pytest.importorskip("torch", reason="the train extra (torch) is not installed")
    args = ["--out", str(tmp_path), "--episodes", "2", "--frames-per-episode", "2", "--steps", "2"]
    args += [
        "--wide-episodes",
        "1",
        "--wide-every",
        "2",
    ]  # the second step trains on a 448 x 336 fisheye batch
    run = subprocess.run(
        [sys.executable, str(TRAIN), *args], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr[-2000:]
    frame = Frame(FrameMeta(0, 0.0, 640, 480), np.full((480, 640, 3), 120, np.uint8))
    for name in ("footfall_head_fp32.onnx", "footfall_head_int8.onnx"):
        for size in (None, (448, 336)):
            config = OnnxDetectorConfig(type="onnx", model=tmp_path / name, input_size=size)
            detector = OnnxDetector(config)
            assert (detector.model.input.width_px, detector.model.input.height_px) == (size or (320, 240)), (
                name
            )
            assert detector.detect(frame).points_px.shape[1] == 2
    assert (tmp_path / "footfall_head.pt").stat().st_size > 0


def test_a_subcell_head_starts_from_the_shipped_weights_and_writes_a_stride_2_model(tmp_path):
    """`--subcells` (research): the stride-4 head's weights start every sub-cell; the written models
    say stride 2 in their metadata and give heatmaps of half the input's size in each direction."""
    pytest.importorskip("torch", reason="the train extra (torch) is not installed")
    shipped = TRAIN.parent / "footfall_head.pt"
    args = ["--out", str(tmp_path), "--episodes", "2", "--frames-per-episode", "2", "--steps", "2"]
    args += ["--subcells", "--sigma-px", "2", "--init", str(shipped)]
    run = subprocess.run(
        [sys.executable, str(TRAIN), *args], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr[-2000:]
    for name in ("footfall_head_fp32.onnx", "footfall_head_int8.onnx"):
        detector = OnnxDetector(OnnxDetectorConfig(type="onnx", model=tmp_path / name, input_size=(448, 336)))
        assert detector.model.metadata["stride"] == "2", name
        picture = np.zeros((1, 3, 336, 448), np.float32)
        heatmap = detector.model.session.run(None, {detector.model.input.name: picture})[0]
        assert heatmap.shape == (1, 1, 168, 224), name


def test_a_quarter_of_each_batch_comes_from_crowded_frames():
    pytest.importorskip("torch", reason="the train extra (torch) is not installed")
    sys.path.insert(0, str(TRAIN.parent))
    import train  # models/ is not a package, and torch is optional

    heads = [np.zeros((n, 2)) for n in (0, 3, 15, 40, 2, 14)]
    crowd = train.crowd_frames(heads, 15)
    assert crowd.tolist() == [2, 3]
    rng = np.random.default_rng(0)
    picks = np.array([train.batch_picks(rng, len(heads), 16, crowd, 0.25) for _ in range(500)])
    assert (np.isin(picks[:, :4], crowd)).all()  # 4 of 16 drawn from the crowds
    share = np.isin(picks, crowd).mean()  # plus a third of the 12 uniform ones
    assert 0.25 + 0.75 * 2 / 6 - 0.02 < share < 0.25 + 0.75 * 2 / 6 + 0.02
    uniform = train.batch_picks(rng, len(heads), 16, np.array([], int), 0.25)
    assert len(uniform) == 16 and set(uniform.tolist()) <= set(range(6))


def test_each_head_can_get_a_gaussian_of_its_own_size():
    """`--sigma-per-radius`: two small heads 8 px apart (a fisheye's rim) get peaks with a dip between
    them, where the one fixed Gaussian merges them; a big head's Gaussian is wider than the fixed one."""
    pytest.importorskip("torch", reason="the train extra (torch) is not installed")
    sys.path.insert(0, str(TRAIN.parent))
    import train

    small = [np.array([[30.0, 30.0, 2.0], [38.0, 30.0, 2.0]])]
    fixed, _, _ = train.targets(small, (64, 64), 4, sigma_px=3.2)
    own, _, _ = train.targets(small, (64, 64), 4, sigma_per_radius=0.9)
    row, between = 7, 8  # the heads sit in cells (7, 7) and (9, 7); cell 8 lies between them
    assert own[0, 0, row, between] < 0.5 * fixed[0, 0, row, between]
    assert own[0, 0, row, 7] == own[0, 0, row, 9] == 1.0
    big = [np.array([[32.0, 32.0, 8.0]])]
    own_big, _, _ = train.targets(big, (64, 64), 4, sigma_per_radius=0.9)
    fixed_big, _, _ = train.targets(big, (64, 64), 4, sigma_px=3.2)
    assert own_big[0, 0, 8, 10] > fixed_big[0, 0, 8, 10]


def test_a_head_radius_is_what_a_pinhole_sees_of_it():
    """Straight below a pinhole 3 m up with 500 px of focal length, a 1.7 m person's head (radius
    0.095 m, centre 1.605 m up, 1.395 m from the lens) spans 500 x 0.095 / 1.395 = 34 px."""
    pytest.importorskip("torch", reason="the train extra (torch) is not installed")
    sys.path.insert(0, str(TRAIN.parent))
    import train

    from agent.geometry.camera import CameraModel

    camera = CameraModel.straight_down(640, 480, 3.0, focal_px=500.0)
    radii = train.head_radii_px(camera, np.array([[0.0, 0.0]]), np.array([1.7]))
    assert radii == pytest.approx([500 * 0.095 / 1.395], rel=1e-3)


def test_augment_gives_each_pixel_exactly_its_colour_change_and_flips_the_heads_with_it():
    """The per-frame lookup table equals the colour change worked on every pixel (float32, to the bit);
    a flipped frame carries its head points with it."""
    pytest.importorskip("torch", reason="the train extra (torch) is not installed")
    sys.path.insert(0, str(TRAIN.parent))
    import train

    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(40, 12, 16, 3), dtype=np.uint8)
    images[:, 2, 3] = (255, 0, 0)  # a red pixel under a head at (3.5, 2.5)
    heads = [np.array([[3.5, 2.5, 1.0]]) for _ in images]
    out, moved = train.augment(np.random.default_rng(7), images, heads)

    draw = np.random.default_rng(7)  # the same draws, in the same order, applied to every pixel
    greys = flips = 0
    for image, result, head in zip(images, out, moved, strict=True):
        pixels = image.astype(np.float32) / 255.0
        if flip_x := draw.random() < 0.5:
            pixels = pixels[:, ::-1]
        if flip_y := draw.random() < 0.5:
            pixels = pixels[::-1]
        gain = draw.uniform(0.6, 1.4) * draw.uniform(0.9, 1.1, size=3)
        pixels = (np.clip((pixels - 0.5) * draw.uniform(0.7, 1.3) + 0.5, 0, 1) * gain).astype(np.float32)
        pixels = np.clip(pixels, 0, 1) ** draw.uniform(0.7, 1.4)
        if draw.random() < 0.12:
            pixels = np.repeat(pixels.mean(axis=2, keepdims=True), 3, axis=2)
            greys += 1
        assert result.dtype == np.float32 and np.array_equal(result, pixels.transpose(2, 0, 1))
        u, v = (16 - 3.5 if flip_x else 3.5), (12 - 2.5 if flip_y else 2.5)
        assert head.tolist() == [[u, v, 1.0]]
        assert result[0, int(v), int(u)] >= result[1, int(v), int(u)]  # the red pixel went with it
        flips += flip_x or flip_y
    assert greys > 0 and flips > 0


def test_a_zoomed_frame_carries_its_heads_with_it_and_drops_those_it_leaves_out():
    """`train.zoom_in`: a spot drawn at a head is found at the head's moved point (counted from the
    corner) in the enlarged window, its radius grows by the same factor, and a head far outside the
    window is dropped."""
    pytest.importorskip("torch", reason="the train extra (torch) is not installed")
    sys.path.insert(0, str(TRAIN.parent))
    import train

    image = np.zeros((240, 320, 3), np.uint8)
    cv2.circle(image, (160 * 16, 120 * 16), 3 * 16, (255, 255, 255), -1, cv2.LINE_AA, 4)
    heads = np.array([[160.5, 120.5, 3.0], [0.5, 0.5, 3.0]])  # the spot's centre, and a corner
    rng = np.random.default_rng(5)
    rows, cols = np.mgrid[0:240, 0:320] + 0.5
    scales, dropped = [], 0
    for _ in range(20):
        zoomed, moved = train.zoom_in(rng, image, heads, 1.6)
        assert zoomed.shape == image.shape
        weights = zoomed[:, :, 0].astype(np.float64)
        found = np.array([(cols * weights).sum(), (rows * weights).sum()]) / weights.sum()
        spot = moved[np.argmin(np.hypot(*(moved[:, :2] - found).T))]
        np.testing.assert_allclose(spot[:2], found, atol=0.05)
        scales.append(spot[2] / 3.0)
        if len(moved) == 2:  # the corner head stays only while it is near the window
            assert moved[1, 0] > -2.0 and moved[1, 1] > -2.0
        dropped += len(moved) == 1
    assert min(scales) >= 1.0 and max(scales) <= 1.6 and max(scales) - min(scales) > 0.2
    assert dropped > 0


def test_zoom_for_fisheyes_only_marks_the_fisheye_episodes_frames_and_leaves_the_others_unscaled():
    """`train.fisheye_frames` marks the frames of exactly the episodes whose lens
    `simdata.fisheye_training_seeds` finds to be a fisheye, and `train.augment` never enlarges a
    frame it is told not to (a pinhole view keeps its heads' radii), while it does enlarge marked ones."""
    pytest.importorskip("torch", reason="the train extra (torch) is not installed")
    sys.path.insert(0, str(TRAIN.parent))
    import simdata
    import train

    marked = train.fisheye_frames(40, 3)
    assert marked.shape == (120,)
    expected = [
        s - simdata.TRAIN_SEED_BASE for s in simdata.fisheye_training_seeds(simdata.TRAIN_SEED_BASE, 40)
    ]
    expected = [k for k in expected if k < 40]
    assert np.flatnonzero(marked[::3]).tolist() == expected and 0 < len(expected) < 40
    assert (marked.reshape(40, 3) == marked[::3, None]).all()

    images = np.zeros((8, 240, 320, 3), np.uint8)
    heads = [np.array([[160.0, 120.0, 3.0]]) for _ in images]
    zoomable = np.array([False, True] * 4)
    grown = np.zeros(8, int)
    rng = np.random.default_rng(3)
    for _ in range(10):
        _, out = train.augment(rng, images, heads, 1.6, 1.0, np.inf, zoomable)
        grown += np.array([len(h) and h[0, 2] > 3.0 for h in out])
    assert (grown[~zoomable] == 0).all() and (grown[zoomable] > 0).all()


@pytest.mark.parametrize("frame", [(480, 360), (640, 480), (800, 600)])
def test_a_training_head_point_lands_on_its_head_in_the_resized_frame(frame):
    """A spot drawn where the camera projects a head (OpenCV's pixel centres) is found, in the frame
    resized for training, at its training point as the model counts pixels (from the corner), the
    points `train.augment` flips as u -> width - u (tested there on a pixel and its point)."""
    sys.path.insert(0, str(TRAIN.parent))
    import simdata  # models/ is not a package

    image = np.zeros((frame[1], frame[0], 3), np.uint8)
    head = np.array([[frame[0] * 0.41 + 0.3, frame[1] * 0.57 + 0.8]])
    centre = (round(head[0, 0] * 16), round(head[0, 1] * 16))
    cv2.circle(image, centre, round(frame[0] / 40 * 16), (255, 255, 255), -1, cv2.LINE_AA, 4)
    small, point = simdata.to_model_input(image, head, (320, 240))
    weights = small[:, :, 0].astype(np.float64)
    rows, cols = np.mgrid[0:240, 0:320] + 0.5  # each pixel's centre, counted from the corner
    found = np.array([(cols * weights).sum(), (rows * weights).sum()]) / weights.sum()
    np.testing.assert_allclose(point[0], found, atol=0.03)


def test_a_cache_is_used_only_for_what_it_was_rendered_for(tmp_path):
    """`--cache`: a second call reads the frames back; other episodes, or a file from before head points
    counted from the corner (no key), stop the run with the file's name instead of training on them."""
    pytest.importorskip("torch", reason="the train extra (torch) is not installed")
    sys.path.insert(0, str(TRAIN.parent))
    import train

    cache = tmp_path / "frames.npz"
    images, heads = train.render_dataset(1, 2, 1, cache)
    again, again_heads = train.render_dataset(1, 2, 1, cache)
    assert np.array_equal(images, again) and all(
        np.array_equal(a, b) for a, b in zip(heads, again_heads, strict=True)
    )
    with pytest.raises(SystemExit, match="frames.npz: its frames were rendered for other episodes"):
        train.render_dataset(2, 2, 1, cache)
    with np.load(cache) as stored:
        np.savez(cache, images=stored["images"], counts=stored["counts"], points=stored["points"])
    with pytest.raises(SystemExit, match="before 2026-12-02"):
        train.render_dataset(1, 2, 1, cache)
