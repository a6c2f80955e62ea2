"""The lens: intrinsics and distortion, mapping camera-frame rays to pixels and back.

Camera frame (OpenCV convention): x to the right of the image, y down the
image, z along the optical axis, out of the lens.

Two lens kinds are supported, with OpenCV's parameterisation so that the
output of ``cv2.calibrateCamera`` / ``cv2.fisheye.calibrate`` plugs in as is:

- ``pinhole``: Brown-Conrady, coefficients ``(k1, k2, p1, p2, k3)``;
- ``fisheye``: equidistant with polynomial ``theta_d = theta (1 + k1 theta^2
  + k2 theta^4 + k3 theta^6 + k4 theta^8)``, coefficients ``(k1, k2, k3, k4)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from agent.geometry.arrays import FloatArray, as_points

LensKind = Literal["pinhole", "fisheye"]

#: Number of distortion coefficients for each lens kind.
DISTORTION_LENGTH: dict[str, int] = {"pinhole": 5, "fisheye": 4}

# Tight enough that pixel -> ray -> pixel is exact to ~1e-6 px even in the
# corners of a strongly distorted wide lens; OpenCV's default (5 iterations)
# leaves several pixels of error there.
_UNDISTORT_CRITERIA = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-12)
_FISHEYE_NEWTON_STEPS = 30
_FISHEYE_CONVERGED_RAD = 1e-14  # a Newton step this small changes theta by at most a few ulps
_MAX_INVERSION_ERROR_PX = 0.01
# A resized image whose width and height scale by factors this far apart is a crop, not a resize.
_MAX_ASPECT_CHANGE = 0.01


@dataclass(frozen=True)
class Lens:
    """Intrinsics and distortion of one camera at one image size.

    Attributes:
        width_px, height_px: image size in pixels the intrinsics belong to.
        fx, fy: focal lengths in pixels.
        cx, cy: principal point in pixels (OpenCV's: the top-left pixel's centre is 0).
        kind: ``"pinhole"`` or ``"fisheye"``.
        distortion: ``(k1, k2, p1, p2, k3)`` for pinhole, ``(k1, k2, k3, k4)``
            for fisheye (dimensionless).

    Raises:
        ValueError: on construction, naming the field, its value and what was
            expected (non-positive size or focal length, wrong kind, wrong
            number of distortion coefficients, non-finite numbers).
    """

    width_px: int
    height_px: int
    fx: float
    fy: float
    cx: float
    cy: float
    kind: LensKind = "pinhole"
    distortion: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        for name in ("width_px", "height_px"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"lens {name} is {value!r}, should be an integer > 0")
        for name in ("fx", "fy"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"lens {name} is {value!r} px, should be a finite number > 0")
        for name in ("cx", "cy"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"lens {name} is {getattr(self, name)!r} px, should be finite")
        if self.kind not in DISTORTION_LENGTH:
            raise ValueError(f"lens kind is {self.kind!r}, should be 'pinhole' or 'fisheye'")
        expected = DISTORTION_LENGTH[self.kind]
        if len(self.distortion) != expected:
            raise ValueError(
                f"{self.kind} lens distortion has {len(self.distortion)} coefficients "
                f"{list(self.distortion)}, should have {expected}"
            )
        if not all(math.isfinite(k) for k in self.distortion):
            raise ValueError(f"lens distortion {list(self.distortion)} should be finite numbers")
        object.__setattr__(self, "distortion", tuple(float(k) for k in self.distortion))

    @classmethod
    def ideal(
        cls,
        width_px: int,
        height_px: int,
        focal_px: float,
        kind: LensKind = "pinhole",
        distortion: tuple[float, ...] | None = None,
    ) -> Lens:
        """An ideal lens: square pixels of focal length ``focal_px``, principal point at the centre.

        The centre is ``((width - 1) / 2, (height - 1) / 2)`` in OpenCV's pixel
        convention, so the same lens made at another size is this one
        `resized`. ``distortion`` defaults to none.

        Raises:
            ValueError: as the constructor (a size, focal length or coefficient out of range).
        """
        if distortion is None:
            distortion = (0.0,) * DISTORTION_LENGTH.get(kind, 5)
        centre_x, centre_y = (width_px - 1) / 2.0, (height_px - 1) / 2.0
        return cls(width_px, height_px, focal_px, focal_px, centre_x, centre_y, kind, distortion)

    @classmethod
    def from_hfov(
        cls,
        width_px: int,
        height_px: int,
        hfov_deg: float,
        kind: LensKind = "pinhole",
        distortion: tuple[float, ...] | None = None,
    ) -> Lens:
        """An ideal lens (`ideal`) from its horizontal field of view.

        For a pinhole lens ``fx = (width/2) / tan(hfov/2)``; for a fisheye
        (equidistant) lens ``fx = (width/2) / (hfov/2 in radians)``; distortion
        is ignored for the field-of-view calculation.

        Raises:
            ValueError: if ``hfov_deg`` is not in (0, 180) for pinhole or (0, 360) for fisheye.
        """
        limit = 180.0 if kind == "pinhole" else 360.0
        if not 0.0 < hfov_deg < limit:
            raise ValueError(f"hfov_deg is {hfov_deg!r}, should be in (0, {limit:g}) for a {kind} lens")
        half = math.radians(hfov_deg) / 2.0
        focal = (width_px / 2.0) / (math.tan(half) if kind == "pinhole" else half)
        return cls.ideal(width_px, height_px, focal, kind, distortion)

    def resized(self, width_px: int, height_px: int) -> Lens:
        """The same lens seen through an image scaled to ``width_px`` x ``height_px``.

        A camera streaming at another resolution than the one it was
        calibrated at (a 1280 x 960 calibration, a 640 x 480 stream) sees the
        same rays: focal lengths and principal point scale with the image,
        distortion (in normalised coordinates) does not. Pixels count from the
        top-left pixel's centre (OpenCV's convention), so a point ``u`` of the
        calibrated image lies at ``(u + 0.5) * scale - 0.5`` in the scaled
        one, as `cv2.resize` maps it; the principal point moves that way too.
        A different aspect
        ratio means a crop or another sensor mode, which no scaling can
        recover: that is refused.

        Raises:
            ValueError: a size is not a positive integer, or the aspect ratio
                differs from the calibrated one by more than 1 %.
        """
        if (width_px, height_px) == (self.width_px, self.height_px):
            return self
        scale_x = width_px / self.width_px if width_px > 0 else 0.0
        scale_y = height_px / self.height_px if height_px > 0 else 0.0
        if not (scale_x > 0 and scale_y > 0 and abs(scale_x / scale_y - 1.0) <= _MAX_ASPECT_CHANGE):
            raise ValueError(
                f"image is {width_px}x{height_px} px but the lens was calibrated at "
                f"{self.width_px}x{self.height_px} px: only a scaled image of the same aspect ratio can "
                "reuse the calibration; calibrate at this resolution"
            )
        return Lens(
            width_px,
            height_px,
            self.fx * scale_x,
            self.fy * scale_y,
            (self.cx + 0.5) * scale_x - 0.5,
            (self.cy + 0.5) * scale_y - 0.5,
            self.kind,
            self.distortion,
        )

    @property
    def camera_matrix(self) -> FloatArray:
        """The 3x3 intrinsic matrix K in pixels (a new array each call)."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def distortion_array(self) -> FloatArray:
        """Distortion coefficients as a float64 array, in OpenCV's order."""
        return np.asarray(self.distortion, dtype=np.float64)

    def pixels_to_rays(self, pixels: npt.ArrayLike) -> FloatArray:
        """Unit ray directions in the camera frame for pixels (N, 2) -> (N, 3).

        Rows are NaN for a non-finite pixel, or a pixel where the distortion
        model cannot be inverted to within 0.01 px (beyond the radius where a
        pinhole polynomial folds back, or outside a fisheye's image circle).

        Raises:
            ValueError: if ``pixels`` is not of shape (N, 2).
        """
        pts = as_points(pixels, 2, "pixels")
        rays = np.full((len(pts), 3), np.nan)
        ok = np.isfinite(pts).all(axis=1)
        if not ok.any():
            return rays
        if self.kind == "pinhole":
            normalized = cv2.undistortPoints(
                pts[ok].reshape(-1, 1, 2),
                self.camera_matrix,
                self.distortion_array,
                criteria=_UNDISTORT_CRITERIA,
            ).reshape(-1, 2)
            direction = np.column_stack([normalized, np.ones(len(normalized))])
            # Brown-Conrady polynomials fold back beyond some radius; there the
            # iteration returns a ray that does not image to the pixel. Such
            # pixels have no ray in this model, so they are reported as NaN.
            reprojected = self.rays_to_pixels(direction)
            folded = ~(np.linalg.norm(reprojected - pts[ok], axis=1) < _MAX_INVERSION_ERROR_PX)
            direction[folded] = np.nan
        else:
            direction = self._fisheye_rays(pts[ok])
        rays[ok] = direction / np.linalg.norm(direction, axis=1, keepdims=True)
        return rays

    def rays_to_pixels(self, rays: npt.ArrayLike) -> FloatArray:
        """Pixels (N, 2) where camera-frame directions or points (N, 3) are imaged.

        Rows that are non-finite or lie behind the lens (z <= 0 for a pinhole,
        more than 180 degrees off axis cannot happen for a fisheye) are NaN.
        Points outside the field of view are still projected: check the result
        against the image size if that matters.

        Raises:
            ValueError: if ``rays`` is not of shape (N, 3).
        """
        pts = as_points(rays, 3, "rays")
        pixels = np.full((len(pts), 2), np.nan)
        ok = np.isfinite(pts).all(axis=1)
        if self.kind == "pinhole":
            ok &= pts[:, 2] > 0
            if ok.any():
                projected, _ = cv2.projectPoints(
                    pts[ok].reshape(-1, 1, 3),
                    np.zeros(3),
                    np.zeros(3),
                    self.camera_matrix,
                    self.distortion_array,
                )
                pixels[ok] = projected.reshape(-1, 2)
        else:
            ok &= np.linalg.norm(pts, axis=1) > 0
            if ok.any():
                pixels[ok] = self._fisheye_pixels(pts[ok])
        return pixels

    # The fisheye model is evaluated here rather than with cv2.fisheye.projectPoints
    # / undistortPoints because OpenCV works with tan(theta), which cannot represent
    # rays 90 degrees or more off the optical axis; a tilted wide fisheye sees the
    # floor along such rays. For rays in front of the lens the formulas are
    # OpenCV's (zero skew), and tests check that the two agree.
    def _fisheye_pixels(self, points: FloatArray) -> FloatArray:
        radius_xy = np.hypot(points[:, 0], points[:, 1])
        theta = np.arctan2(radius_xy, points[:, 2])
        theta_d = theta * self._fisheye_polynomial(theta)
        scale = np.divide(theta_d, radius_xy, out=np.ones_like(theta_d), where=radius_xy > 0)
        u = self.fx * points[:, 0] * scale + self.cx
        v = self.fy * points[:, 1] * scale + self.cy
        return np.column_stack([u, v])

    def _fisheye_rays(self, pixels: FloatArray) -> FloatArray:
        xd = (pixels[:, 0] - self.cx) / self.fx
        yd = (pixels[:, 1] - self.cy) / self.fy
        theta_d = np.hypot(xd, yd)
        theta = theta_d.copy()
        k1, k2, k3, k4 = self.distortion
        for _ in range(_FISHEYE_NEWTON_STEPS):
            t2 = theta * theta
            value = theta * self._fisheye_polynomial(theta) - theta_d
            slope = 1 + t2 * (3 * k1 + t2 * (5 * k2 + t2 * (7 * k3 + t2 * 9 * k4)))
            step = value / np.where(np.abs(slope) > 1e-12, slope, np.nan)
            theta = theta - step
            # Newton converges in a few steps where the model inverts; stop there (NaN rows never
            # converge and compare False, so they do not hold the loop).
            if not (np.abs(step) > _FISHEYE_CONVERGED_RAD).any():
                break
        residual = np.abs(theta * self._fisheye_polynomial(theta) - theta_d)
        valid = (residual < 1e-9) & (theta >= 0) & (theta <= math.pi)
        phi = np.arctan2(yd, xd)
        sin_t = np.sin(theta)
        rays = np.column_stack([sin_t * np.cos(phi), sin_t * np.sin(phi), np.cos(theta)])
        rays[~valid] = np.nan
        return rays

    def _fisheye_polynomial(self, theta: FloatArray) -> FloatArray:
        k1, k2, k3, k4 = self.distortion
        t2 = theta * theta
        result: FloatArray = 1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4)))
        return result
