"""Simulated people: what they look like and where they are at every moment.

A `Person` walks a piecewise-linear path on the floor (metres) given by
keyframes `(t_s, x_m, y_m)`; between keyframes the position is interpolated
linearly, and two equal consecutive keyframes are a stop. Everything the
renderer, the ToF model and the ground truth need follows from the keyframes
alone, so the truth is exact: it is computed from the paths, never from the
pictures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BGR = tuple[int, int, int]

Role = Literal["shopper", "child", "staff", "cleaner"]
Pushing = Literal["none", "trolley", "pram", "cart"]
Bag = Literal["none", "hand", "back"]

# Below this speed (m/s) a person counts as standing: the heading is kept
# from the last movement instead of jittering with rounding noise.
_STANDING_M_S = 0.05


@dataclass(frozen=True)
class Appearance:
    """How a person looks: sizes in metres, colours in BGR (0-255)."""

    height_m: float
    shoulder_m: float = 0.44
    skin_bgr: BGR = (140, 170, 210)
    hair_bgr: BGR = (30, 30, 40)
    top_bgr: BGR = (60, 40, 160)
    bottom_bgr: BGR = (60, 50, 40)
    bag: Bag = "none"
    bag_bgr: BGR = (40, 60, 90)
    long_hair: bool = False
    hat: bool = False

    def __post_init__(self) -> None:
        if not 0.6 <= self.height_m <= 2.2:
            raise ValueError(f"Appearance.height_m is {self.height_m!r}, should be in [0.6, 2.2] metres")
        if not 0.15 <= self.shoulder_m <= 0.7:
            raise ValueError(f"Appearance.shoulder_m is {self.shoulder_m!r}, should be in [0.15, 0.7] metres")


@dataclass(frozen=True, eq=False)
class Person:
    """One simulated person: an id (simulation only, never published), a look and a timed path.

    `times_s` (K,) must be non-decreasing and `path_m` (K, 2) finite floor
    metres. The person exists from `times_s[0]` to `times_s[-1]` inclusive.
    `facing_rad` (K,) optionally fixes where the person faces at each
    keyframe while standing (e.g. towards a shelf); NaN = face the way they walk.

    Raises:
        ValueError: on shapes, non-finite values or decreasing times (named with the person id).
    """

    pid: int
    role: Role
    appearance: Appearance
    times_s: FloatArray
    path_m: FloatArray
    pushing: Pushing = "none"
    facing_rad: FloatArray | None = None
    group: int = -1  # people walking together share a group id (>= 0)
    _headings: FloatArray = field(init=False, repr=False)
    _walked_m: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        times = np.array(self.times_s, dtype=np.float64)
        path = np.array(self.path_m, dtype=np.float64).reshape(-1, 2)
        if times.ndim != 1 or len(times) < 2 or len(times) != len(path):
            raise ValueError(
                f"person {self.pid}: times_s {times.shape} and path_m {path.shape} should be (K,) and (K, 2), K >= 2"
            )
        if not (np.isfinite(times).all() and np.isfinite(path).all()):
            raise ValueError(f"person {self.pid}: times_s and path_m should be finite")
        if np.any(np.diff(times) < 0):
            raise ValueError(f"person {self.pid}: times_s should be non-decreasing, got {times.tolist()}")
        times.setflags(write=False)
        path.setflags(write=False)
        object.__setattr__(self, "times_s", times)
        object.__setattr__(self, "path_m", path)
        object.__setattr__(self, "_headings", self._segment_headings())
        steps_m = np.hypot(*np.diff(path, axis=0).T)
        object.__setattr__(self, "_walked_m", np.concatenate([[0.0], np.cumsum(steps_m)]))

    def _segment_headings(self) -> FloatArray:
        """Heading (radians, 0 = +x, counter-clockwise) on each segment, carried over stops."""
        delta = np.diff(self.path_m, axis=0)
        dt = np.maximum(np.diff(self.times_s), 1e-9)
        moving = np.hypot(delta[:, 0], delta[:, 1]) / dt > _STANDING_M_S
        raw = np.arctan2(delta[:, 1], delta[:, 0])
        headings = np.zeros(len(delta))
        last = float(raw[moving][0]) if moving.any() else 0.0
        for i in range(len(delta)):
            if moving[i]:
                last = float(raw[i])
            headings[i] = last
        return headings

    @property
    def t_start_s(self) -> float:
        """When the person appears, seconds."""
        return float(self.times_s[0])

    @property
    def t_end_s(self) -> float:
        """When the person leaves the simulation, seconds."""
        return float(self.times_s[-1])

    def present(self, t_s: float) -> bool:
        """Whether the person exists at `t_s`."""
        return self.t_start_s <= t_s <= self.t_end_s

    def positions_m(self, t_s: npt.ArrayLike) -> FloatArray:
        """Floor positions (N, 2) in metres at times (N,); NaN rows where the person is absent."""
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        out = np.column_stack(
            [np.interp(t, self.times_s, self.path_m[:, 0]), np.interp(t, self.times_s, self.path_m[:, 1])]
        )
        out[(t < self.t_start_s) | (t > self.t_end_s)] = np.nan
        return out

    def position_m(self, t_s: float) -> tuple[float, float] | None:
        """Floor position (x, y) in metres at `t_s`, or None when absent."""
        if not self.present(t_s):
            return None
        p = self.positions_m(t_s)[0]
        return (float(p[0]), float(p[1]))

    def _segment(self, t_s: float) -> int:
        i = int(np.searchsorted(self.times_s, t_s, side="right")) - 1
        return min(max(i, 0), len(self.times_s) - 2)

    def heading_rad(self, t_s: float) -> float:
        """Direction the body faces at `t_s`, radians (0 = floor +x, counter-clockwise)."""
        i = self._segment(t_s)
        if self.facing_rad is not None and np.isfinite(self.facing_rad[i]):
            speed = self.speed_m_s(t_s)
            if speed <= _STANDING_M_S:
                return float(self.facing_rad[i])
        return float(self._headings[i])

    def speed_m_s(self, t_s: float) -> float:
        """Walking speed at `t_s`, metres per second (0 while standing or absent)."""
        if not self.present(t_s):
            return 0.0
        i = self._segment(t_s)
        dt = float(self.times_s[i + 1] - self.times_s[i])
        if dt <= 0:
            return 0.0
        return float(np.hypot(*(self.path_m[i + 1] - self.path_m[i])) / dt)

    def distance_walked_m(self, t_s: float) -> float:
        """Metres walked since appearing, up to `t_s` (drives the gait phase)."""
        return float(np.interp(t_s, self.times_s, self._walked_m))


def people_at(people: list[Person] | tuple[Person, ...], t_s: float) -> list[Person]:
    """The people present at `t_s`, in id order."""
    return [p for p in people if p.present(t_s)]
