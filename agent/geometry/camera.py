"""A calibrated camera: pixels to floor metres at a given height, and back.

Everything downstream of the detector works in floor metres (floor frame:
x, y on the floor, z up, floor at z = 0). A person's feet are at height 0,
a head at about 1.6 m; under a ceiling camera the two project to pixels far
apart away from the image centre, so the height is always explicit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agent.geometry.arrays import FloatArray, as_points
from agent.geometry.lens import Lens, LensKind
from agent.geometry.pose import Pose

# Rays closer than this to parallel with the plane (|dz| per unit length) are
# treated as missing it: the intersection would be kilometres away.
_MIN_RAY_DZ = 1e-9


@dataclass(frozen=True)
class CameraModel:
    """An immutable camera model: a lens and its pose on the floor.

    The lens fields (``width_px``, ``height_px``, ``fx``, ``fy``, ``cx``, ``cy``,
    ``kind``, ``distortion``) and pose fields (``rotation_rodrigues``,
    ``position_m``) are available directly on the model.
    """

    lens: Lens
    pose: Pose

    @classmethod
    def straight_down(
        cls,
        width_px: int,
        height_px: int,
        mounting_height_m: float,
        *,
        hfov_deg: float | None = None,
        focal_px: float | None = None,
        kind: LensKind = "pinhole",
        distortion: tuple[float, ...] | None = None,
        position_xy_m: tuple[float, float] = (0.0, 0.0),
        heading_deg: float = 90.0,
    ) -> CameraModel:
        """A camera looking straight down from ``mounting_height_m`` with an ideal lens.

        Give exactly one of ``hfov_deg`` (horizontal field of view, degrees)
        or ``focal_px`` (focal length, pixels). The principal point is the
        image centre, ``((width - 1) / 2, (height - 1) / 2)`` as OpenCV counts
        pixels, so the camera made at another size is this one `resized`.
        With the default heading the image reads like a map: image right is
        floor +x, image up is floor +y, and the image centre looks at
        ``position_xy_m``.

        Raises:
            ValueError: if both or neither of ``hfov_deg`` and ``focal_px`` are
                given, or any value is out of range (named in the message).
        """
        if (hfov_deg is None) == (focal_px is None):
            raise ValueError(
                f"give exactly one of hfov_deg ({hfov_deg!r}) and focal_px ({focal_px!r}) "
                "for a straight-down camera"
            )
        if not mounting_height_m > 0:
            raise ValueError(f"mounting_height_m is {mounting_height_m!r}, should be > 0 metres")
        if hfov_deg is not None:
            lens = Lens.from_hfov(width_px, height_px, hfov_deg, kind, distortion)
        else:
            assert focal_px is not None
            lens = Lens.ideal(width_px, height_px, focal_px, kind, distortion)
        x_m, y_m = position_xy_m
        pose = Pose.looking_down((x_m, y_m, mounting_height_m), tilt_deg=0.0, heading_deg=heading_deg)
        return cls(lens, pose)

    def resized(self, width_px: int, height_px: int) -> CameraModel:
        """The same camera with its image scaled to ``width_px`` x ``height_px`` (see `Lens.resized`).

        Raises:
            ValueError: the size is not positive or changes the aspect ratio.
        """
        lens = self.lens.resized(width_px, height_px)
        return self if lens is self.lens else CameraModel(lens, self.pose)

    # --- the lens and pose fields, flattened for callers -------------------
    @property
    def width_px(self) -> int:
        """Image width in pixels."""
        return self.lens.width_px

    @property
    def height_px(self) -> int:
        """Image height in pixels."""
        return self.lens.height_px

    @property
    def fx(self) -> float:
        """Horizontal focal length in pixels."""
        return self.lens.fx

    @property
    def fy(self) -> float:
        """Vertical focal length in pixels."""
        return self.lens.fy

    @property
    def cx(self) -> float:
        """Principal point x in pixels."""
        return self.lens.cx

    @property
    def cy(self) -> float:
        """Principal point y in pixels."""
        return self.lens.cy

    @property
    def kind(self) -> LensKind:
        """Lens kind, ``"pinhole"`` or ``"fisheye"``."""
        return self.lens.kind

    @property
    def distortion(self) -> tuple[float, ...]:
        """Distortion coefficients in OpenCV's order for the lens kind."""
        return self.lens.distortion

    @property
    def rotation_rodrigues(self) -> tuple[float, float, float]:
        """Floor-to-camera rotation as a Rodrigues vector (radians)."""
        return self.pose.rotation_rodrigues

    @property
    def position_m(self) -> tuple[float, float, float]:
        """Camera position (x, y, mounting height) in floor metres."""
        return self.pose.position_m

    # --- projection --------------------------------------------------------
    def pixels_to_floor(self, pixels: npt.ArrayLike, height_m: float | npt.ArrayLike = 0.0) -> FloatArray:
        """Floor positions (N, 2) in metres of pixels (N, 2) seen at ``height_m`` above the floor.

        For each pixel, the ray through it is intersected with the horizontal
        plane ``z = height_m`` (0 = the floor, about 1.6 = heads); the result
        is the (x, y) of that intersection, i.e. the point on the floor
        directly below what the pixel sees.

        Args:
            pixels: (N, 2) pixel coordinates (x right, y down; OpenCV's: the top-left pixel's centre is 0).
            height_m: a scalar, or one height per pixel (shape (N,)), metres.

        Returns:
            (N, 2) float64 metres. A row is NaN when its ray does not reach
            the plane: above the horizon, parallel to the plane, the plane is
            at or above the camera, the pixel is non-finite, or (fisheye) the
            pixel lies outside the lens' image circle. No exception is raised
            for such rows; callers drop them with ``np.isfinite(...).all(axis=1)``.

        Raises:
            ValueError: if ``pixels`` is not (N, 2) or ``height_m`` does not broadcast to (N,).
        """
        pts = as_points(pixels, 2, "pixels")
        heights = _heights(height_m, len(pts))
        rays_world = self.lens.pixels_to_rays(pts) @ self.pose.rotation_matrix
        origin = self.pose.position
        dz = rays_world[:, 2]
        with np.errstate(invalid="ignore", divide="ignore"):
            distance = (heights - origin[2]) / dz
        hits = np.isfinite(distance) & (np.abs(dz) > _MIN_RAY_DZ) & (distance > 0)
        floor = np.full((len(pts), 2), np.nan)
        floor[hits] = origin[:2] + distance[hits, None] * rays_world[hits, :2]
        return floor

    def floor_to_pixels(self, points_m: npt.ArrayLike, height_m: float | npt.ArrayLike = 0.0) -> FloatArray:
        """Pixels (N, 2) where floor positions (N, 2) in metres at ``height_m`` are imaged.

        Args:
            points_m: (N, 2) floor (x, y) in metres.
            height_m: a scalar or one height per point (shape (N,)), metres.

        Returns:
            (N, 2) float64 pixels. A row is NaN when the point is behind a
            pinhole camera or non-finite. Points outside the field of view are
            still projected and may fall outside the image (use ``in_image``).

        Raises:
            ValueError: if ``points_m`` is not (N, 2) or ``height_m`` does not broadcast to (N,).
        """
        pts = as_points(points_m, 2, "points_m")
        heights = _heights(height_m, len(pts))
        world = np.column_stack([pts, heights])
        camera = (world - self.pose.position) @ self.pose.rotation_matrix.T
        return self.lens.rays_to_pixels(camera)

    def in_image(self, pixels: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Which pixels (N, 2) lie inside the image rectangle [0, width) x [0, height)."""
        pts = as_points(pixels, 2, "pixels")
        with np.errstate(invalid="ignore"):
            inside = (
                (pts[:, 0] >= 0)
                & (pts[:, 0] < self.width_px)
                & (pts[:, 1] >= 0)
                & (pts[:, 1] < self.height_px)
            )
        return np.asarray(inside, dtype=np.bool_)


def ray_spread(
    camera_height_m: float, from_height_m: npt.ArrayLike, to_height_m: npt.ArrayLike
) -> FloatArray:
    """How many times farther from the floor point below a camera `camera_height_m` (m) up a ray's
    point at `to_height_m` lies than its point at `from_height_m` (m; scalars or arrays): rays leave
    the camera's centre, so horizontal offsets scale with the height left below the camera.

    What a head top taken to the floor at one assumed height is off by, for someone of another
    height, and how much larger the picture shows a head at one height than at another.
    """
    spread: FloatArray = (camera_height_m - np.asarray(to_height_m, dtype=np.float64)) / (
        camera_height_m - np.asarray(from_height_m, dtype=np.float64)
    )
    return spread


def _heights(height_m: float | npt.ArrayLike, count: int) -> FloatArray:
    heights = np.asarray(height_m, dtype=np.float64)
    try:
        return np.broadcast_to(heights, (count,)).astype(np.float64)
    except ValueError:
        raise ValueError(
            f"height_m has shape {heights.shape}, should be a scalar or ({count},) metres"
        ) from None
