"""The small immutable types on the arrows of the data flow (DESIGN.md).

source -> `Frame` -> detector -> `Detections` -> calibration -> `FloorPoints`
-> tracker -> `Tracks` -> analytics -> `LineCrossing`, `ZoneSample` -> aggregator.

Arrays are validated on construction with expected-vs-actual messages and
made read-only, so a stage can never change what an earlier stage produced.
Times are seconds on the source's monotonic timeline (`t_s`), never wall time:
wall time is attached only when a bucket becomes a report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _frozen_array(
    name: str, value: object, shape: tuple[int | None, ...], dtype: type, allow_nan: bool = False
) -> np.ndarray:
    """Copy `value` into a read-only array of `dtype`, checking its shape (None = any length).

    Floats must be finite; with `allow_nan`, NaN (not known) is allowed, infinity still not.
    """
    array: np.ndarray = np.array(value, dtype=dtype, copy=True)
    if array.ndim != len(shape) or any(
        want is not None and got != want for got, want in zip(array.shape, shape, strict=True)
    ):
        wanted = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name}: expected shape {wanted}, got {array.shape}")
    known = array[~np.isnan(array)] if allow_nan and array.dtype.kind == "f" else array
    if array.dtype.kind == "f" and not np.all(np.isfinite(known)):
        raise ValueError(f"{name}: expected finite values, got {'' if allow_nan else 'NaN or '}infinity")
    array.setflags(write=False)
    return array


def _check_same_length(owner: str, **arrays: np.ndarray) -> None:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ValueError(f"{owner}: parallel arrays must have the same length, got {detail}")


def _appearance_array(owner: str, appearance: object, scores: np.ndarray) -> np.ndarray | None:
    """A read-only copy of `appearance` (N, K), one row per score (NaN: not seen); None stays None."""
    if appearance is None:
        return None
    array = _frozen_array(f"{owner}.appearance", appearance, (None, None), float, allow_nan=True)
    _check_same_length(owner, scores=scores, appearance=array)
    return array


def _heights_array(owner: str, heights_m: object, length: int) -> np.ndarray | None:
    """A read-only copy of `heights_m` (N,) m, one per row (NaN: not known); None stays None."""
    if heights_m is None:
        return None
    array = _frozen_array(f"{owner}.heights_m", heights_m, (None,), float, allow_nan=True)
    if len(array) != length:
        raise ValueError(f"{owner}.heights_m: expected {length} values, one per row, got {len(array)}")
    return array


def _check_time(owner: str, t_s: float) -> None:
    if not np.isfinite(t_s) or t_s < 0:
        raise ValueError(f"{owner}: t_s must be a finite time >= 0 s, got {t_s!r}")


@dataclass(frozen=True)
class FrameMeta:
    """Where a frame came from: its index in the stream, time and size (pixels)."""

    index: int
    t_s: float
    width_px: int
    height_px: int

    def __post_init__(self) -> None:
        _check_time("FrameMeta", self.t_s)
        if self.index < 0:
            raise ValueError(f"FrameMeta: index must be >= 0, got {self.index}")
        if self.width_px <= 0 or self.height_px <= 0:
            raise ValueError(f"FrameMeta: size must be positive, got {self.width_px}x{self.height_px} px")


@dataclass(frozen=True, eq=False)
class Frame:
    """One image in RAM. It never leaves the process: no stage may store or send `image`."""

    meta: FrameMeta
    image: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        if self.image.ndim not in (2, 3) or self.image.shape[:2] != (self.meta.height_px, self.meta.width_px):
            raise ValueError(
                f"Frame: image shape {self.image.shape} does not match meta "
                f"{self.meta.height_px}x{self.meta.width_px} (rows x columns)"
            )


@dataclass(frozen=True, eq=False)
class Detections:
    """People found in one frame: image points (pixels) and scores in [0, 1].

    `points_px` is the point that goes to the floor (head top for an overhead
    camera, foot point for an oblique one): shape (N, 2), columns u, v.
    `boxes_px` optionally holds each person's box (N, 4), columns x0, y0, x1, y1
    in pixels, for detectors that find boxes; None for point detectors.
    `appearance` optionally holds a few colour numbers per person (N, K), NaN
    where not seen, for the tracker to tell neighbours apart
    (`agent.track.appearance`'s six, in [0, 1]); like the image they come
    from, they never leave the process.
    """

    t_s: float
    points_px: FloatArray
    scores: FloatArray
    boxes_px: FloatArray | None = None
    appearance: FloatArray | None = None

    def __post_init__(self) -> None:
        _check_time("Detections", self.t_s)
        object.__setattr__(
            self, "points_px", _frozen_array("Detections.points_px", self.points_px, (None, 2), float)
        )
        object.__setattr__(self, "scores", _frozen_array("Detections.scores", self.scores, (None,), float))
        _check_same_length("Detections", points_px=self.points_px, scores=self.scores)
        if self.boxes_px is not None:
            boxes = _frozen_array("Detections.boxes_px", self.boxes_px, (None, 4), float)
            object.__setattr__(self, "boxes_px", boxes)
            _check_same_length("Detections", points_px=self.points_px, boxes_px=boxes)
        object.__setattr__(self, "appearance", _appearance_array("Detections", self.appearance, self.scores))
        if len(self.scores) and (self.scores.min() < 0 or self.scores.max() > 1):
            raise ValueError(
                f"Detections.scores: expected values in [0, 1], got {self.scores.min()}..{self.scores.max()}"
            )

    @classmethod
    def empty(cls, t_s: float) -> Detections:
        """No detections at time `t_s`."""
        return cls(t_s, np.zeros((0, 2)), np.zeros(0))

    def __len__(self) -> int:
        return len(self.scores)


@dataclass(frozen=True, eq=False)
class FloorPoints:
    """Detections moved onto the floor: (N, 2) metres, their scores and, optionally, appearance (N, K)."""

    t_s: float
    points_m: FloatArray
    scores: FloatArray
    appearance: FloatArray | None = None

    def __post_init__(self) -> None:
        _check_time("FloorPoints", self.t_s)
        object.__setattr__(
            self, "points_m", _frozen_array("FloorPoints.points_m", self.points_m, (None, 2), float)
        )
        object.__setattr__(self, "scores", _frozen_array("FloorPoints.scores", self.scores, (None,), float))
        _check_same_length("FloorPoints", points_m=self.points_m, scores=self.scores)
        object.__setattr__(self, "appearance", _appearance_array("FloorPoints", self.appearance, self.scores))

    def __len__(self) -> int:
        return len(self.scores)


@dataclass(frozen=True, eq=False)
class Tracks:
    """Confirmed tracks alive at `t_s` and the ids of tracks that ended since the last update.

    Track ids are ephemeral, process-local integers: they never leave the device. `heights_m` (N,),
    when the tracker was given heights: each track's mean height (m) read from the picture, NaN until
    it has enough readings. `detected_m` (N, 2), from a tracker that says so: where the detection that
    renewed each track at this update put it (m), its position where a faint one moved it, and where
    its last detection put it where none matched it at this update. `missed` (N,), from such a
    tracker: whether no detection matched each track at this update, so that it is shown at its
    prediction (False for a hidden track riding with the person it hides behind, shown where that
    person is, and for every track while the motion gate skips detection). `born_m` (N, 2), from a
    tracker that says so: where each track's first detection put it (m), before it was confirmed.
    `came_into_view` (N,), from a tracker that says so: whether the camera could have seen each
    person before that first detection, so that it tells which way they came; False where they may
    have stood there since the tracker started, or walked into the picture there, at its edge.
    """

    t_s: float
    ids: IntArray
    positions_m: FloatArray
    ended_ids: tuple[int, ...] = ()
    heights_m: FloatArray | None = None
    detected_m: FloatArray | None = None
    born_m: FloatArray | None = None
    came_into_view: BoolArray | None = None
    missed: BoolArray | None = None

    def __post_init__(self) -> None:
        _check_time("Tracks", self.t_s)
        object.__setattr__(self, "ids", _frozen_array("Tracks.ids", self.ids, (None,), np.int64))
        object.__setattr__(
            self, "positions_m", _frozen_array("Tracks.positions_m", self.positions_m, (None, 2), float)
        )
        _check_same_length("Tracks", ids=self.ids, positions_m=self.positions_m)
        object.__setattr__(self, "heights_m", _heights_array("Tracks", self.heights_m, len(self.ids)))
        if self.detected_m is not None:
            object.__setattr__(
                self, "detected_m", _frozen_array("Tracks.detected_m", self.detected_m, (None, 2), float)
            )
            _check_same_length("Tracks", ids=self.ids, detected_m=self.detected_m)
        if self.born_m is not None:
            object.__setattr__(self, "born_m", _frozen_array("Tracks.born_m", self.born_m, (None, 2), float))
            _check_same_length("Tracks", ids=self.ids, born_m=self.born_m)
        for name in ("came_into_view", "missed"):
            flags = getattr(self, name)
            if flags is not None:
                object.__setattr__(self, name, _frozen_array(f"Tracks.{name}", flags, (None,), bool))
                _check_same_length("Tracks", ids=self.ids, **{name: flags})
        if len(np.unique(self.ids)) != len(self.ids):
            raise ValueError(f"Tracks.ids: expected unique ids, got {self.ids.tolist()}")

    def __len__(self) -> int:
        return len(self.ids)


Direction = Literal["in", "out"]


@dataclass(frozen=True)
class LineCrossing:
    """One person crossed counting line `line` in `direction` at `t_s`. Carries no identity."""

    line: str
    direction: Direction
    t_s: float

    def __post_init__(self) -> None:
        _check_time("LineCrossing", self.t_s)
        if self.direction not in ("in", "out"):
            raise ValueError(f"LineCrossing.direction: expected 'in' or 'out', got {self.direction!r}")


@dataclass(frozen=True)
class ZoneSample:
    """How many people stood in zone `zone` at `t_s`."""

    zone: str
    people: int
    t_s: float

    def __post_init__(self) -> None:
        _check_time("ZoneSample", self.t_s)
        if self.people < 0:
            raise ValueError(f"ZoneSample.people: expected >= 0, got {self.people}")
