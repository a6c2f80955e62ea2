"""Where a person's own body lies on the floor map, as the camera sees it.

A detection is placed on the floor as if it were a head `point_height_m` up
(1.7 m for the head model): the point where the camera's ray through it
meets that height. A peak on someone's body (a shoulder, a hip, a knee, a
bag at the legs), placed so, lands on the line from the point below the
camera through that person: a body point `height_m` up lies at
`k = (camera height - point_height_m) / (camera height - height_m)` times
the person's distance from that point, so from `_BODY_LOW_M` to
`_BODY_HIGH_M` up it spans a segment of that line from `k_low` to `k_high`.
A fisheye draws such a body long when its person walks at the picture's rim
(`busy` seed 15 at 10.0 s: a peak scoring 0.63 on the legs of a shopper
walking towards the camera, 0.7 times their distance from it, followed by a
track of its own across a line).

The geometry holds for any lens and tilt: it needs only the camera's optical
centre in floor metres. A camera mounted no higher than `_BODY_HIGH_M` or the
point height sees no body so; then nothing lies on one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agent.types import BoolArray, FloatArray, IntArray

# The heights (m) of a body's points that may look like a head to the model: from the shins to the
# shoulders of an adult. Below, the floor; above, the head itself.
_BODY_LOW_M = 0.2
_BODY_HIGH_M = 1.5


@dataclass(frozen=True)
class BodyLines:
    """The body lines of people seen by a camera whose optical centre is `camera_m` (x, y, height;
    m), for detections placed at `point_height_m` (m)."""

    camera_m: tuple[float, float, float]
    point_height_m: float

    def bearers(self, points_m: FloatArray, people_m: FloatArray, within_m: float) -> IntArray:
        """For each point of `points_m` (N, 2) m, the index into `people_m` (M, 2) m of the person on
        whose body line (`_BODY_LOW_M` to `_BODY_HIGH_M` up, as the camera sees it) it lies, within
        `within_m` (m) across it; the nearest if more than one, -1 for none."""
        across_m = self._across_m(points_m[:, None, :], people_m[None, :, :], within_m)  # (N, M)
        bearers = np.full(len(points_m), -1, dtype=np.int64)
        if not across_m.size:
            return bearers
        nearest = np.argmin(across_m, axis=1)
        found = np.isfinite(across_m[np.arange(len(points_m)), nearest])
        bearers[found] = nearest[found]
        return bearers

    def on_bodies(self, points_m: FloatArray, people_m: FloatArray, within_m: float) -> BoolArray:
        """Whether each point of `points_m` (N, 2) m lies on the body line of the person at the same
        row of `people_m` (N, 2) m, within `within_m` (m) across it."""
        return np.isfinite(self._across_m(points_m, people_m, within_m))

    def _across_m(self, points_m: FloatArray, people_m: FloatArray, within_m: float) -> FloatArray:
        """How far (m) each point of `points_m` (..., 2) lies across the body line of the person at
        `people_m` (..., 2, broadcast against the points), where it lies along it and within
        `within_m`; infinite elsewhere, and everywhere for a camera too low to see bodies so."""
        camera_height_m = self.camera_m[2]
        shape = np.broadcast_shapes(points_m.shape, people_m.shape)[:-1]
        if camera_height_m <= max(_BODY_HIGH_M, self.point_height_m):
            return np.full(shape, np.inf)
        rise_m = camera_height_m - self.point_height_m
        k_low, k_high = rise_m / (camera_height_m - _BODY_LOW_M), rise_m / (camera_height_m - _BODY_HIGH_M)
        below_camera_m = np.asarray(self.camera_m[:2], dtype=float)
        points = points_m - below_camera_m
        people = people_m - below_camera_m
        # Where the point lies along the line, in the person's distances from below the camera.
        k = (points * people).sum(axis=-1) / np.maximum((people * people).sum(axis=-1), 1e-12)
        across_m = np.hypot(*np.moveaxis(k[..., None] * people - points, -1, 0))
        return np.where((k >= k_low) & (k <= k_high) & (across_m < within_m), across_m, np.inf)
