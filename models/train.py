"""Train the shipped overhead head detector on simulated stores and export it to ONNX (FP32 and INT8).

    .venv/bin/pip install -e '.[train]'      # torch 2.13.0 CPU, onnx, onnxscript
    .venv/bin/python models/train.py         # the shipped model: one run from scratch, 47 minutes
                                             # on 2 cores (models/README.md)

Steps: render `--episodes` randomised scenario variants (`simdata.training_frames`,
seeds TRAIN_SEED_BASE + k) into RAM on `--workers` processes; train
`net.CentrePointNet` (half of each batch from crowded frames, half of
the fisheye episodes' frames enlarged by 1-1.6x) with a
focal loss on a Gaussian heatmap and an L1 loss on the sub-cell offset;
export `footfall_head_fp32.onnx` (opset 18, weights inside the file) and a
static INT8 copy `footfall_head_int8.onnx` calibrated on rendered frames
with ONNX Runtime's quantiser; save the PyTorch weights (`footfall_head.pt`)
for fine-tuning (`--init`). Every random choice comes from `--seed`, so a
rerun on the same versions trains the same model (PyTorch's
CPU kernels may differ in the last bits between thread counts).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import onnx
import torch
from net import INPUT_HEIGHT_PX, INPUT_WIDTH_PX, STRIDE, CentrePointNet
from simdata import TRAIN_SEED_BASE, fisheye_training_seeds, has_fisheye, training_frames

from agent.config_base import parse_size_px
from agent.detect.centrepoint import CENTREPOINT_METADATA, INPUT_SIZE_KEY
from agent.geometry.camera import CameraModel
from agent.sim.figures import head_radius_m

_SIZE = (INPUT_WIDTH_PX, INPUT_HEIGHT_PX)


def _use_input_size(size: tuple[int, int]) -> None:
    """Train at `size` (w, h) pixels instead of net.py's (multiples of 16): the net is fully convolutional."""
    global INPUT_WIDTH_PX, INPUT_HEIGHT_PX, _SIZE
    INPUT_WIDTH_PX, INPUT_HEIGHT_PX = size
    _SIZE = size


def _size_arg(text: str) -> tuple[int, int]:
    """ "448x336" -> (448, 336), both positive multiples of 16 (the network's largest stride)."""
    size = parse_size_px(text)
    if size is None or min(size) <= 0 or size[0] % 16 or size[1] % 16:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected WIDTHxHEIGHT, both multiples of 16, e.g. 448x336"
        )
    return size


_SIGMA_PX = 3.2  # heatmap Gaussian (input pixels, 0.8 of a stride-4 cell): about a head's radius
_SIGMA_RANGE_PX = (1.5, 8.0)  # a head's own Gaussian (`--sigma-per-radius`), input pixels


def head_radii_px(camera: CameraModel, floor_m: np.ndarray, heights_m: np.ndarray) -> np.ndarray:
    """How many pixels of `camera` the head of each person (floor (N, 2) m, heights (N,) m) spans from
    its centre: the simulator's head radius (`agent.sim.figures.head_radius_m`) at the head's centre,
    the mean of the floor's two directions (a fisheye squeezes one of them far out)."""
    radii_m = np.asarray(head_radius_m(heights_m), dtype=np.float64)
    centre_m = heights_m - radii_m
    centre_px = camera.floor_to_pixels(floor_m, centre_m)
    spans = [
        np.hypot(*(camera.floor_to_pixels(floor_m + radii_m[:, None] * step, centre_m) - centre_px).T)
        for step in (np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    ]
    return np.asarray(np.mean(spans, axis=0), dtype=np.float64).reshape(-1)


def _render_episode(args: tuple[int, int, tuple[int, int]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """One episode's frames (N, H, W, 3) RGB and, per frame, (heads, 3): head u, v and radius, pixels."""
    seed, frames, size = args
    images, heads = [], []
    for frame in training_frames(seed, frames, size):
        images.append(frame.image[:, :, ::-1])  # BGR -> RGB, the model's channel order
        kept = frame.in_view | _near_view(frame.heads_px, size)
        radii = head_radii_px(frame.camera, frame.floor_m[kept], frame.heights_m[kept])
        heads.append(np.column_stack([frame.heads_px[kept], radii * size[0] / frame.camera.width_px]))
    return np.stack(images), heads


def _near_view(heads_px: np.ndarray, size: tuple[int, int], margin_px: float = 2.0) -> np.ndarray:
    """Heads just outside the image still mark their edge cell (half a head is visible)."""
    u, v = heads_px[:, 0], heads_px[:, 1]
    return (u > -margin_px) & (u < size[0] + margin_px) & (v > -margin_px) & (v < size[1] + margin_px)


# In a --cache file's key: its head points count from the corner (`simdata.to_model_input`, since 2026-12-02).
_CACHE_POINTS_FROM_CORNER = 1


def render_dataset(
    episodes: int,
    frames: int,
    workers: int,
    cache: Path | None = None,
    seeds: list[int] | None = None,
    size: tuple[int, int] | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """All training frames (N, H, W, 3) uint8 RGB and their heads in model-input pixels: per frame
    (heads, 3), the head top (u, v, counted from the corner) and the head's radius as the camera sees it.

    Episodes are seeds TRAIN_SEED_BASE + 0 .. `episodes` - 1 unless `seeds`
    names them; frames are `size` (w, h) pixels, the training input size by
    default. With `cache` (a file in a temporary folder, deleted by the
    caller), frames rendered once are kept there so an interrupted training
    restarts at once; the file keeps what it was rendered for (seeds, frames
    per episode, size, point convention) and is used only for the same.

    Raises:
        SystemExit: `cache` exists but was rendered for something else (names the file).
    """
    size = size or _SIZE
    seeds = seeds if seeds is not None else [TRAIN_SEED_BASE + k for k in range(episodes)]
    rendered = np.array([*seeds, frames, *size, _CACHE_POINTS_FROM_CORNER])
    if cache is not None and cache.exists():
        with np.load(cache) as stored:
            if "rendered" not in stored or not np.array_equal(stored["rendered"], rendered):
                raise SystemExit(
                    f"{cache}: its frames were rendered for other episodes, frames per episode or size, "
                    "or before 2026-12-02, when head points counted from pixel centres (key 'rendered'); "
                    "delete it to render the frames anew"
                )
            images = stored["images"]
            counts, points = stored["counts"], stored["points"]
        return images, np.split(points.reshape(-1, 3), np.cumsum(counts)[:-1])
    jobs = [(seed, frames, size) for seed in seeds]
    images, heads = [], []
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for k, (ep_images, ep_heads) in enumerate(pool.imap(_render_episode, jobs, chunksize=2)):
            images.append(ep_images)
            heads.extend(ep_heads)
            if k % 50 == 0:
                print(f"rendered {k + 1}/{len(jobs)} episodes at {size[0]}x{size[1]}", flush=True)
    all_images = np.concatenate(images)
    if cache is not None:
        counts = np.array([len(h) for h in heads])
        points = np.concatenate(heads).reshape(-1, 3)
        np.savez(cache, images=all_images, counts=counts, points=points, rendered=rendered)
    return all_images, heads


def targets(
    batch_heads: list[np.ndarray],
    size: tuple[int, int],
    stride: int = STRIDE,
    sigma_px: float = _SIGMA_PX,
    sigma_per_radius: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Heatmap (B, 1, h, w), offset (B, 2, h, w) and offset mask (B, 1, h, w) for heads (N, 3: u, v,
    radius) in input pixels of a `size` (w, h) input, at `stride` input pixels per cell; each head a
    Gaussian of `sigma_px` input pixels, or with `sigma_per_radius` > 0 of that many times its own
    radius (within `_SIGMA_RANGE_PX`): small heads far out under a fisheye, which stand a few pixels
    apart, then get peaks that do not run into each other."""
    h, w = size[1] // stride, size[0] // stride
    heat = np.zeros((len(batch_heads), 1, h, w), np.float32)
    offset = np.zeros((len(batch_heads), 2, h, w), np.float32)
    mask = np.zeros((len(batch_heads), 1, h, w), np.float32)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    for b, heads in enumerate(batch_heads):
        if sigma_per_radius > 0:
            sigmas_px = np.clip(sigma_per_radius * heads[:, 2], *_SIGMA_RANGE_PX)
        else:
            sigmas_px = np.full(len(heads), sigma_px)
        for (u, v), sigma_cells in zip(heads[:, :2] / stride, sigmas_px / stride, strict=True):
            gauss = np.exp(-((xs - u) ** 2 + (ys - v) ** 2) / (2 * sigma_cells**2))
            np.maximum(heat[b, 0], gauss, out=heat[b, 0])
            iu, iv = int(np.floor(u)), int(np.floor(v))
            if 0 <= iu < w and 0 <= iv < h:
                heat[b, 0, iv, iu] = 1.0
                offset[b, :, iv, iu] = (u - iu, v - iv)
                mask[b, 0, iv, iu] = 1.0
    return heat, offset, mask


def zoom_in(
    rng: np.random.Generator, image: np.ndarray, heads: np.ndarray, max_scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """A random window of `image` (H, W, 3) enlarged by 1 to `max_scale` back to (H, W): heads look as
    they do at a larger input size. `heads` (N, 3: u, v counted from the corner, radius) move and grow
    with it; heads more than 2 px outside the window are dropped, as `_near_view` drops them."""
    height_px, width_px = image.shape[:2]
    scale = rng.uniform(1.0, max_scale)
    big_w, big_h = round(width_px * scale), round(height_px * scale)
    big = cv2.resize(image, (big_w, big_h), interpolation=cv2.INTER_LINEAR)
    x0, y0 = int(rng.integers(big_w - width_px + 1)), int(rng.integers(big_h - height_px + 1))
    moved = heads * np.array([big_w / width_px, big_h / height_px, scale])
    moved[:, 0] -= x0
    moved[:, 1] -= y0
    kept = _near_view(moved[:, :2], (width_px, height_px))
    return big[y0 : y0 + height_px, x0 : x0 + width_px], moved[kept]


def _small_heads(heads: np.ndarray, below_px: float) -> bool:
    """Whether the heads (N, 3: u, v, radius px) have a median radius under `below_px` (always if infinite)."""
    if np.isinf(below_px):
        return True
    return bool(len(heads)) and float(np.median(heads[:, 2])) < below_px


def augment(
    rng: np.random.Generator,
    images: np.ndarray,
    heads: list[np.ndarray],
    zoom_max: float = 1.0,
    zoom_share: float = 0.0,
    zoom_below_px: float = np.inf,
    zoomable: np.ndarray | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Flips (an overhead view has no up), colour and brightness jitter, some grey (IR) frames; with
    `zoom_max` > 1, a share `zoom_share` of the frames zoomed in (`zoom_in`), of those whose heads'
    median radius is under `zoom_below_px` input pixels if that is finite (frames without heads then never)
    and, with `zoomable` (one bool per frame), of those it marks.

    Images (B, H, W, 3) uint8 in, (B, 3, H, W) float32 in [0, 1] out. Each frame's colour change is a
    function of each byte and channel alone, so it is worked out once for the 256 values of each
    channel and looked up: the same float32 values as working it out for every pixel, in a fifth of the time.
    """
    height_px, width_px = images.shape[1:3]
    out = np.empty((len(images), 3, height_px, width_px), np.float32)
    values = (np.arange(256, dtype=np.uint8).astype(np.float32) / 255.0)[:, None]
    new_heads = []
    for b in range(len(images)):
        image, pts = images[b], heads[b].copy()
        may_zoom = zoomable is None or bool(zoomable[b])
        if zoom_max > 1.0 and may_zoom and _small_heads(pts, zoom_below_px) and rng.random() < zoom_share:
            image, pts = zoom_in(rng, image, pts, zoom_max)
        if rng.random() < 0.5:
            image = image[:, ::-1]
            pts[:, 0] = width_px - pts[:, 0]
        if rng.random() < 0.5:
            image = image[::-1]
            pts[:, 1] = height_px - pts[:, 1]
        gain = rng.uniform(0.6, 1.4) * rng.uniform(0.9, 1.1, size=3)
        table = (np.clip((values - 0.5) * rng.uniform(0.7, 1.3) + 0.5, 0, 1) * gain).astype(np.float32)
        table = np.clip(table, 0, 1) ** rng.uniform(0.7, 1.4)
        for channel in range(3):
            out[b, channel] = table[image[:, :, channel], channel]
        if rng.random() < 0.12:
            out[b] = out[b].mean(axis=0, keepdims=True)
        new_heads.append(pts)
    return out, new_heads


def focal_loss(pred: torch.Tensor, target: torch.Tensor, reduction: float = 4.0) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss, normalised by the number of heads.

    A cell near a head is penalised for a high score by (1 - target) ** `reduction` (CenterNet's 4);
    a lower power penalises more the cells between two close heads, where the Gaussians overlap.
    """
    pred = pred.clamp(1e-4, 1 - 1e-4)
    positive = target.eq(1).float()
    pos_loss = -torch.log(pred) * (1 - pred) ** 2 * positive
    neg_loss = -torch.log(1 - pred) * pred**2 * (1 - target) ** reduction * (1 - positive)
    return (pos_loss.sum() + neg_loss.sum()) / positive.sum().clamp(min=1.0)


def crowd_frames(heads: list[np.ndarray], min_heads: int) -> np.ndarray:
    """Indices of the frames with at least `min_heads` head points (in view or at its edge)."""
    return np.flatnonzero(np.array([len(h) for h in heads]) >= min_heads)


def fisheye_frames(episodes: int, frames: int) -> np.ndarray:
    """One bool per frame of `render_dataset(episodes, frames)`: whether its episode's lens is a fisheye
    (`simdata.has_fisheye`, worked out without rendering)."""
    kinds = [has_fisheye(TRAIN_SEED_BASE + k) for k in range(episodes)]
    return np.repeat(np.array(kinds, dtype=bool), frames)


def batch_picks(
    rng: np.random.Generator, n_frames: int, batch: int, crowd: np.ndarray, crowd_share: float
) -> np.ndarray:
    """`batch` frame indices: round(`crowd_share` x `batch`) of them from `crowd`, the rest from all frames.

    The network underfits crowds when they come as rarely as in the rendered
    stores (15 % of the frames hold 15 or more heads), so a share of each
    batch is drawn from them. Without crowd frames every pick is uniform.
    """
    n_crowd = round(batch * crowd_share) if len(crowd) else 0
    return np.concatenate([rng.choice(crowd, n_crowd), rng.integers(n_frames, size=batch - n_crowd)])


def train(
    args: argparse.Namespace,
    images: np.ndarray,
    heads: list[np.ndarray],
    wide: tuple[np.ndarray, list[np.ndarray]] | None = None,
) -> CentrePointNet:
    """Train from scratch (or `--init`) with AdamW and a one-cycle learning rate.

    With `wide` (frames of wide fisheyes at `--wide-input-size`), every
    `--wide-every`-th step trains on a batch of those instead.
    """
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = CentrePointNet(width=args.width, subcells=args.subcells, context=args.context)
    if args.init:
        model.load_weights(torch.load(args.init, weights_only=True))
    model = model.to(memory_format=torch.channels_last)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, args.lr, total_steps=args.steps, pct_start=0.05)
    crowd = crowd_frames(heads, args.crowd_heads)
    zoomable = (
        fisheye_frames(args.episodes, args.frames_per_episode) if args.zoom_lenses == "fisheye" else None
    )
    print(f"{len(crowd)} of {len(images)} frames hold {args.crowd_heads} or more heads", flush=True)
    started = time.monotonic()
    running = 0.0
    for step in range(args.steps):
        if wide is not None and step % args.wide_every == 1:
            step_images, step_heads = wide
            pick = rng.integers(len(step_images), size=args.wide_batch or args.batch)
            step_zoomable = None  # every wide frame is a fisheye's
        else:
            step_images, step_heads = images, heads
            pick = batch_picks(rng, len(images), args.batch, crowd, args.crowd_share)
            step_zoomable = None if zoomable is None else zoomable[pick]
        batch, batch_heads = augment(
            rng,
            step_images[pick],
            [step_heads[i] for i in pick],
            args.zoom,
            args.zoom_share,
            args.zoom_below_px,
            step_zoomable,
        )
        size = (step_images.shape[2], step_images.shape[1])
        heat, offset, mask = (
            torch.from_numpy(a)
            for a in targets(batch_heads, size, model.stride, args.sigma_px, args.sigma_per_radius)
        )
        x = torch.from_numpy(batch).to(memory_format=torch.channels_last)
        pred_heat, pred_offset = model(x)
        loss = focal_loss(pred_heat, heat, args.penalty_reduction)
        loss = loss + (torch.abs(pred_offset - offset) * mask).sum() / mask.sum().clamp(min=1.0)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step:5d}  loss {running:.3f}  {time.monotonic() - started:6.0f} s", flush=True)
        if args.checkpoint and step % 1000 == 999:
            torch.save(model.state_dict(), args.checkpoint)
    return model.eval()


def export(model: CentrePointNet, path: Path) -> None:
    """ONNX, opset 18, weights in the file, with the footfall metadata the detector reads.

    The input size stays fixed at the training size: ONNX Runtime's quantiser
    needs every shape known. `free_spatial_size` frees it once quantised.
    """
    example = torch.zeros(1, 3, INPUT_HEIGHT_PX, INPUT_WIDTH_PX)
    model = model.to(memory_format=torch.contiguous_format)
    program = torch.onnx.export(
        model,
        (example,),
        dynamo=True,
        external_data=False,
        opset_version=18,
        input_names=["image"],
        output_names=["heatmap", "offset"],
    )
    assert program is not None
    program.save(str(path), external_data=False)
    proto = onnx.load(str(path))
    onnx.helper.set_model_props(proto, dict(CENTREPOINT_METADATA, stride=str(model.stride)))
    proto.producer_name = "footfall models/train.py"
    onnx.save(proto, str(path))
    onnx.checker.check_model(proto)


def quantise(fp32: Path, int8: Path, calibration: np.ndarray) -> None:
    """Static INT8 (QDQ, per-channel 7-bit weights) calibrated on `calibration` (N, 3, H, W) float32 frames.

    The first convolution, on the picture itself, stays FP32: with its three input channels it gains
    nothing from 8 bits (it ran faster in FP32, and the picture needs no quantising then), and its
    7-bit weights cost the crowd most of its lost recall (models/TRIALS.md, "Held-out accuracy: the
    evidence behind INT8 and the one-detection rules").
    """
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._batches = iter(calibration[i : i + 1] for i in range(len(calibration)))

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self._batches, None)
            return None if batch is None else {"image": batch}

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32), str(prepared))
        graph = onnx.load(str(prepared)).graph
        on_the_picture = [
            n.name for n in graph.node if n.op_type == "Conv" and graph.input[0].name in n.input
        ]
        quantize_static(
            str(prepared),
            str(int8),
            Reader(),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            # 7-bit weights: an x86-64 CPU without VNNI (AVX2 only) multiplies 8-bit activations by
            # 8-bit signed weights in pairs summed into 16 bits, which saturates with 8-bit weights
            # (ONNX Runtime's quantisation guide); with 7 bits no such sum can saturate on any CPU.
            reduce_range=True,
            nodes_to_exclude=on_the_picture,
        )
    stride = _stride(onnx.load(str(fp32)))
    proto = onnx.load(str(int8))
    props = dict(CENTREPOINT_METADATA, stride=stride, precision="int8", weight_bits="7")
    onnx.helper.set_model_props(proto, props)
    onnx.save(proto, str(int8))
    free_spatial_size(int8)


def free_spatial_size(path: Path) -> None:
    """Let the model at `path` take any height and width that are multiples of 16, in place.

    The network is fully convolutional: the same weights run on a larger
    input, which a wide fisheye view needs, where heads are a few pixels at
    320 x 240 (`detector.input_size`). The training size goes into the
    metadata (`footfall.input_size`, WIDTHxHEIGHT), the detector's default.
    Weights and outputs at the training size are unchanged.
    """
    proto = onnx.load(str(path))
    stride = int(_stride(proto))
    for value in [*proto.graph.input, *proto.graph.output]:
        dims = value.type.tensor_type.shape.dim
        divisor = 1 if value in proto.graph.input else stride
        for dim, name in zip(dims[2:], ("height", "width"), strict=True):
            dim.Clear()
            dim.dim_param = name if divisor == 1 else f"{name}/{divisor}"
    del proto.graph.value_info[:]  # shapes inferred for the training size
    entry = proto.metadata_props.add()
    entry.key, entry.value = INPUT_SIZE_KEY, f"{INPUT_WIDTH_PX}x{INPUT_HEIGHT_PX}"
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))


def _stride(proto: onnx.ModelProto) -> str:
    """The `stride` metadata `export` wrote (input pixels per heatmap cell)."""
    return str(next(entry.value for entry in proto.metadata_props if entry.key == "stride"))


def main(argv: list[str] | None = None) -> int:
    """Render, train, export; prints progress and the output paths."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent, help="where the models go")
    parser.add_argument("--episodes", type=int, default=600, help="randomised scenario variants")
    parser.add_argument("--frames-per-episode", type=int, default=30)
    parser.add_argument("--steps", type=int, default=11000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-3, help="peak of the one-cycle schedule")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="rendering processes")
    parser.add_argument(
        "--checkpoint", type=Path, default=None, help="save the weights here every 1000 steps"
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help="keep rendered frames in this temporary .npz"
    )
    parser.add_argument("--init", type=Path, default=None, help="start from these weights (fine-tuning)")
    parser.add_argument(
        "--input-size",
        type=_size_arg,
        default=(INPUT_WIDTH_PX, INPUT_HEIGHT_PX),
        help="model input WIDTHxHEIGHT in pixels (default: models/net.py's)",
    )
    parser.add_argument(
        "--wide-episodes",
        type=int,
        default=0,
        help="also render this many wide-fisheye variants at --wide-input-size (0: none)",
    )
    parser.add_argument(
        "--wide-input-size",
        type=_size_arg,
        default=(448, 336),
        help="WIDTHxHEIGHT of the wide-fisheye frames: the input size the installer gives a fisheye",
    )
    parser.add_argument(
        "--wide-every", type=int, default=3, help="every this many steps, one is a wide-fisheye batch (>= 2)"
    )
    parser.add_argument(
        "--wide-batch",
        type=int,
        default=0,
        help="frames in a wide-fisheye batch (0: --batch); 8 at 448 x 336 costs what 16 at 320 x 240 do",
    )
    parser.add_argument(
        "--subcells",
        action="store_true",
        help="research: the head predicts 2 x 2 sub-cells of each stride-4 cell, maps at stride 2 "
        "(models/TRIALS.md); --init may name stride-4 weights",
    )
    parser.add_argument(
        "--sigma-px",
        type=float,
        default=_SIGMA_PX,
        help=f"heatmap Gaussian per head, input pixels (default {_SIGMA_PX:g}; the sub-cell trials used 2)",
    )
    parser.add_argument(
        "--sigma-per-radius",
        type=float,
        default=0.0,
        help="research: each head's Gaussian this many times its radius as the camera sees it "
        f"(within {_SIGMA_RANGE_PX[0]:g}-{_SIGMA_RANGE_PX[1]:g} px) instead of --sigma-px (0: off)",
    )
    parser.add_argument(
        "--width",
        type=int,
        default=24,
        help="research: channels at stride 4 and in the top-down path (24 shipped; 32 costs 1.45x the "
        "multiply-adds)",
    )
    parser.add_argument(
        "--context",
        type=int,
        default=2,
        help="extra 3 x 3 convolutions at stride 16 (2, the shipped model's; each costs about 5 %% of the "
        "multiply-adds; 0: the model shipped until 2026-12-02)",
    )
    parser.add_argument(
        "--penalty-reduction",
        type=float,
        default=4.0,
        help="research: the focal loss's power on (1 - target) near a head (CenterNet's 4, the default)",
    )
    parser.add_argument(
        "--crowd-share",
        type=float,
        default=0.5,
        help="share of each batch drawn from crowded frames (default 0.5; 0: every frame alike)",
    )
    parser.add_argument(
        "--crowd-heads", type=int, default=15, help="heads a frame holds to count as crowded (default 15)"
    )
    parser.add_argument(
        "--zoom",
        type=float,
        default=1.6,
        help="enlarge a random window of some frames by up to this factor (default 1.6; 1: off, the "
        "recipe until 2026-12-02), so heads look as at the larger input size a wide fisheye gets",
    )
    parser.add_argument(
        "--zoom-share",
        type=float,
        default=0.5,
        help="share of the frames --zoom may enlarge that it does (default 0.5)",
    )
    parser.add_argument(
        "--zoom-below-px",
        type=float,
        default=np.inf,
        help="research: --zoom only frames whose heads' median radius is under this many input pixels (wide "
        "fisheyes and high mounts, which the installer runs at a larger input size); default: every frame",
    )
    parser.add_argument(
        "--zoom-lenses",
        choices=("fisheye", "all"),
        default="fisheye",
        help="whose frames --zoom enlarges: fisheye episodes' (default: the installer runs a wide "
        "fisheye at a larger input size, and pinhole views keep their scale) or every episode's "
        "(research: costs the pinhole scenes precision, models/TRIALS.md)",
    )
    args = parser.parse_args(argv)
    if not 0.0 <= args.crowd_share <= 1.0:
        parser.error(f"--crowd-share {args.crowd_share}: should be between 0 and 1")
    if args.wide_every < 2:
        parser.error(f"--wide-every {args.wide_every}: should be at least 2")
    _use_input_size(args.input_size)
    torch.set_num_threads(2)
    torch.set_flush_denormal(True)  # tiny focal-loss gradients otherwise hit slow denormal arithmetic
    started = time.monotonic()
    images, heads = render_dataset(args.episodes, args.frames_per_episode, args.workers, args.cache)
    people = sum(len(h) for h in heads)
    print(f"{len(images)} frames, {people} heads rendered in {time.monotonic() - started:.0f} s", flush=True)
    wide = None
    if args.wide_episodes:
        seeds = fisheye_training_seeds(TRAIN_SEED_BASE + args.episodes, args.wide_episodes)
        wide_cache = None if args.cache is None else args.cache.with_name(args.cache.stem + "-wide.npz")
        wide = render_dataset(
            0, args.frames_per_episode, args.workers, wide_cache, seeds, args.wide_input_size
        )
        print(
            f"{len(wide[0])} wide fisheye frames at {args.wide_input_size[0]}x{args.wide_input_size[1]}",
            flush=True,
        )
    model = train(args, images, heads, wide)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out / "footfall_head.pt")
    fp32, int8 = args.out / "footfall_head_fp32.onnx", args.out / "footfall_head_int8.onnx"
    export(model, fp32)
    calibration = np.ascontiguousarray(
        images[np.random.default_rng(args.seed).integers(len(images), size=200)].transpose(0, 3, 1, 2),
        dtype=np.float32,
    ) / np.float32(255.0)
    quantise(fp32, int8, calibration)
    free_spatial_size(fp32)
    print(f"wrote {fp32} and {int8} in {time.monotonic() - started:.0f} s total", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
