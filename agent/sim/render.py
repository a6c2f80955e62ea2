"""Frames of a scenario: background, lights, people, motion blur, auto exposure, sensor noise, compression.

`ScenarioRenderer(scenario, people, width_px, height_px, seed).frame(t_s)`
returns a BGR uint8 image, the same bytes for the same arguments and call
sequence (auto exposure carries state from frame to frame, as a camera's
does). Its cost is dominated by a few whole-image operations, so it runs
faster than real time at 640x480 on one core (see benchmarks/bench_sim.py).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from agent.sim.background import build_background, lit
from agent.sim.figures import draw_people
from agent.sim.people import Person
from agent.sim.scenarios import Scenario

Image = npt.NDArray[np.uint8]

_NOISE_FRAMES = 8  # pre-drawn sensor noise patterns, cycled (drawing fresh noise costs more than a frame)
_TARGET_MEAN = 118.0  # auto exposure aims at this mean grey level
_EXPOSURE_RATE = 0.15  # fraction of the exposure error corrected per frame
_MAX_EXPOSURE = 6.0


class ScenarioRenderer:
    """Renders `people` in `scenario`'s store through its camera at `width_px` x `height_px`.

    `exposure_s` sets the motion blur (shutter open time), `jpeg_quality`
    the compression artefacts (None = none), `noise_sigma` the sensor noise
    at unit exposure (grey levels; dark scenes get noisier as exposure rises).

    Raises:
        ValueError: on a size below 64 x 48 pixels or a quality outside 10..100.
    """

    def __init__(
        self,
        scenario: Scenario,
        people: list[Person],
        width_px: int = 640,
        height_px: int = 480,
        *,
        seed: int = 0,
        exposure_s: float = 1 / 60,
        jpeg_quality: int | None = 75,
        noise_sigma: float = 2.5,
    ) -> None:
        if width_px < 64 or height_px < 48:
            raise ValueError(f"image size {width_px}x{height_px} px is too small, should be at least 64x48")
        if jpeg_quality is not None and not 10 <= jpeg_quality <= 100:
            raise ValueError(f"jpeg_quality is {jpeg_quality}, should be 10..100 or None")
        self.scenario = scenario
        self.camera = scenario.camera.model(width_px, height_px)
        self.people = people
        self._background = build_background(scenario.layout, self.camera, scenario.ambient, seed)
        self._exposure_s = exposure_s
        self._jpeg_quality = jpeg_quality
        self._noise_sigma = noise_sigma
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0x0153]))
        self._noise = [
            np.clip(rng.normal(0.0, 1.0, size=(height_px, width_px, 3)) * 32, -127, 127).astype(np.int8)
            for _ in range(_NOISE_FRAMES)
        ]
        self._rng = rng
        self._exposure = 1.0
        self._cache: tuple[tuple[float, ...], Image, npt.NDArray[np.float32]] | None = None
        self._active: list[Person] = []
        self._active_until = -1.0

    def _lit_background(self, levels: tuple[float, ...]) -> tuple[Image, npt.NDArray[np.float32]]:
        """The background under the given bank levels, cached while the lights stay the same."""
        key = tuple(round(level, 3) for level in levels)
        if self._cache is None or self._cache[0] != key:
            gain = lit(self._background, key, self.scenario.ambient)
            image = np.asarray(
                cv2.multiply(self._background.image, cv2.merge([gain, gain, gain]), dtype=cv2.CV_8U),
                dtype=np.uint8,
            )
            self._cache = (key, image, gain)
        return self._cache[1], self._cache[2]

    def _present(self, t_s: float) -> list[Person]:
        """People present at `t_s`; the candidate list is refreshed once a second."""
        if t_s >= self._active_until or t_s < self._active_until - 1.0:
            self._active = [p for p in self.people if p.t_start_s <= t_s + 1.0 and p.t_end_s >= t_s]
            self._active_until = t_s + 1.0
        return [p for p in self._active if p.present(t_s)]

    def frame(self, t_s: float) -> Image:
        """The camera image at `t_s` seconds (BGR uint8, height x width x 3)."""
        background, gain = self._lit_background(self.scenario.lighting(t_s))
        image = background.copy()
        present = self._present(t_s)
        draw_people(image, self.camera, present, t_s, gain)
        self._motion_blur(image, present, t_s)
        self._auto_expose(image)
        scale = self._noise_sigma * np.sqrt(self._exposure) / 32.0
        noise = self._noise[int(self._rng.integers(_NOISE_FRAMES))]
        image = np.asarray(
            cv2.addWeighted(image, self._exposure, noise, scale, 0.0, dtype=cv2.CV_8U), dtype=np.uint8
        )
        if self._jpeg_quality is not None:
            ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self._jpeg_quality])
            if ok:
                image = np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR), dtype=np.uint8)
        return np.asarray(image, dtype=np.uint8)

    def _auto_expose(self, image: Image) -> None:
        """Move the exposure a step towards the target mean brightness (measured before this frame's gain)."""
        small = cv2.resize(image, (32, 24), interpolation=cv2.INTER_AREA)
        mean = float(small.mean()) * self._exposure
        if mean > 1.0:
            wanted = self._exposure * _TARGET_MEAN / mean
            self._exposure += _EXPOSURE_RATE * (wanted - self._exposure)
            self._exposure = float(np.clip(self._exposure, 0.3, _MAX_EXPOSURE))

    def _motion_blur(self, image: Image, people: list[Person], t_s: float) -> None:
        """Smear each fast-moving person along their motion over the exposure time."""
        h, w = image.shape[:2]
        for person in people:
            speed = person.speed_m_s(t_s)
            if speed < 0.3:
                continue
            position = person.position_m(t_s)
            if position is None:
                continue
            heading = person.heading_rad(t_s)
            step = speed * self._exposure_s
            ends = np.array(
                [position, (position[0] - step * np.cos(heading), position[1] - step * np.sin(heading))]
            )
            pixels = self.camera.floor_to_pixels(ends, person.appearance.height_m * 0.7)
            if not np.isfinite(pixels).all():
                continue
            du, dv = pixels[0] - pixels[1]
            length = float(np.hypot(du, dv))
            if length < 1.5:
                continue
            size = int(min(15, round(length))) | 1
            kernel = np.zeros((size, size), np.float32)
            centre = size // 2
            cv2.line(
                kernel,
                (round(centre - du / length * centre), round(centre - dv / length * centre)),
                (round(centre + du / length * centre), round(centre + dv / length * centre)),
                1.0,
                1,
            )
            kernel /= max(float(kernel.sum()), 1.0)
            radius = int(self.camera.fx * 0.45 / max(self.camera.position_m[2] - 1.0, 0.5)) + size
            u, v = pixels[0]
            u0, u1 = max(0, int(u) - radius), min(w, int(u) + radius)
            v0, v1 = max(0, int(v) - radius), min(h, int(v) + radius)
            if u1 - u0 > size and v1 - v0 > size:
                roi = image[v0:v1, u0:u1]
                roi[:] = cv2.filter2D(roi, -1, kernel)
