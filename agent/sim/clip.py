"""Write a simulated clip (MP4), its ground truth (JSON) and a contact sheet (JPEG) to a folder.

The truth depends only on the scenario, seed, length, frame rate and size,
never on the rendering, so `scenario_truth` regenerates it without drawing a
frame (that is how the tests check the committed clips).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from agent.sim.people import Person
from agent.sim.render import ScenarioRenderer
from agent.sim.scenarios import get_scenario
from agent.sim.truth import ClipSettings, build_truth, encode_truth

# The fourcc OpenCV's bundled FFmpeg writes into .mp4 here (avc1/H264 encoders are not shipped).
MP4_FOURCC = "mp4v"
_SHEET_TILES = (2, 3)  # rows, columns of the contact sheet


@dataclass(frozen=True)
class ClipFiles:
    """What `write_clip` wrote: the video, the truth and the contact sheet."""

    video: Path
    truth: Path
    sheet: Path


def simulate_command(settings: ClipSettings, out_dir: str) -> str:
    """The `footfall simulate` command line that regenerates a clip with `settings`."""
    return (
        f"footfall simulate --scenario {settings.scenario} --seed {settings.seed} "
        f"--minutes {settings.duration_s / 60:g} --fps {settings.fps:g} "
        f"--size {settings.width_px}x{settings.height_px} --bucket {settings.bucket_s} --out {out_dir}"
    )


def scenario_truth(
    settings: ClipSettings, command: str = "", people: list[Person] | None = None
) -> dict[str, Any]:
    """The ground truth of the clip `settings` describe, without rendering it.

    `people` default to the clip's own draw (`footfall simulate`); pass
    `agent.sim.source.live_people(...)` for what a live `sim` source showed.

    Raises:
        KeyError: unknown scenario name.
    """
    scenario = get_scenario(settings.scenario)
    if people is None:
        people = scenario.people(settings.seed, 0.0, settings.duration_s)
    return build_truth(scenario, people, settings, command)


def write_clip(
    settings: ClipSettings,
    out_dir: Path,
    *,
    command: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ClipFiles:
    """Render the clip into `out_dir/<scenario>.mp4` with `<scenario>.truth.json` and `<scenario>.sheet.jpg`.

    `progress(done, total)` is called after each frame.

    Raises:
        KeyError: unknown scenario name.
        OSError: the folder or a file cannot be written (named).
    """
    scenario = get_scenario(settings.scenario)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = ClipFiles(
        out_dir / f"{scenario.name}.mp4",
        out_dir / f"{scenario.name}.truth.json",
        out_dir / f"{scenario.name}.sheet.jpg",
    )
    people = scenario.people(settings.seed, 0.0, settings.duration_s)
    renderer = ScenarioRenderer(scenario, people, settings.width_px, settings.height_px, seed=settings.seed)
    size = (settings.width_px, settings.height_px)
    writer = cv2.VideoWriter(str(files.video), cv2.VideoWriter.fourcc(*MP4_FOURCC), settings.fps, size)
    if not writer.isOpened():
        raise OSError(f"{files.video}: OpenCV cannot write MP4 ({MP4_FOURCC}) here")
    total = settings.frame_count
    rows, cols = _SHEET_TILES
    picks = {round(i * (total - 1) / (rows * cols - 1)): i for i in range(rows * cols)}
    tiles: list[np.ndarray] = []
    try:
        for index, t_s in enumerate(settings.frame_times_s()):
            image = renderer.frame(float(t_s))
            writer.write(image)
            if index in picks:
                tile = cv2.resize(image, (320, 240), interpolation=cv2.INTER_AREA)
                cv2.putText(
                    tile,
                    f"{scenario.name} t={t_s:.1f}s",
                    (6, 18),
                    cv2.FONT_HERSHEY_SIMPLEX,
                    0.5,
                    (255, 255, 255),
                    1,
                    cv2.LINE_AA,
                )
                tiles.append(tile)
            if progress is not None:
                progress(index + 1, total)
    finally:
        writer.release()
    while len(tiles) < rows * cols:
        tiles.append(np.zeros_like(tiles[0]))
    sheet = np.vstack([np.hstack(tiles[r * cols : (r + 1) * cols]) for r in range(rows)])
    if not cv2.imwrite(str(files.sheet), sheet, [cv2.IMWRITE_JPEG_QUALITY, 80]):
        raise OSError(f"{files.sheet}: cannot write the contact sheet")
    truth = build_truth(scenario, people, settings, command or simulate_command(settings, str(out_dir)))
    files.truth.write_bytes(encode_truth(truth))
    return files
