"""Where the camera is on the shop floor and which way it looks.

Floor frame: x and y on the floor, z up, the floor at z = 0, in metres.
Camera frame: OpenCV's (x right, y down the image, z out of the lens).
The rotation maps floor-frame vectors into the camera frame, as OpenCV's
``rvec`` does: ``X_cam = R @ (X_floor - position)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np
import numpy.typing as npt

from agent.geometry.arrays import FloatArray

_DOWN = np.array([0.0, 0.0, -1.0])


@dataclass(frozen=True)
class Pose:
    """The camera's rotation and position in the floor frame.

    Attributes:
        rotation_rodrigues: floor-to-camera rotation as a Rodrigues vector
            (radians; OpenCV's ``rvec``).
        position_m: the camera's optical centre ``(x, y, z)`` in floor metres;
            ``z`` is the mounting height above the floor.

    Raises:
        ValueError: on construction, if either field is not three finite numbers.
    """

    rotation_rodrigues: tuple[float, float, float]
    position_m: tuple[float, float, float]

    def __post_init__(self) -> None:
        for name in ("rotation_rodrigues", "position_m"):
            value = tuple(float(v) for v in getattr(self, name))
            if len(value) != 3 or not all(math.isfinite(v) for v in value):
                raise ValueError(f"pose {name} is {getattr(self, name)!r}, should be three finite numbers")
            object.__setattr__(self, name, value)

    @classmethod
    def from_matrix(cls, rotation: npt.ArrayLike, position_m: npt.ArrayLike) -> Pose:
        """A pose from a 3x3 floor-to-camera rotation matrix and a position in metres.

        Raises:
            ValueError: if ``rotation`` is not a proper 3x3 rotation matrix.
        """
        matrix = np.asarray(rotation, dtype=np.float64)
        if matrix.shape != (3, 3) or not np.allclose(matrix @ matrix.T, np.eye(3), atol=1e-6):
            raise ValueError(
                f"rotation has shape {matrix.shape} or is not orthonormal, should be a 3x3 rotation"
            )
        if np.linalg.det(matrix) < 0:
            raise ValueError(
                f"rotation has determinant {np.linalg.det(matrix):.3f}, should be +1 (a reflection)"
            )
        rvec, _ = cv2.Rodrigues(matrix)
        pos = np.asarray(position_m, dtype=np.float64).reshape(3)
        return cls(
            (float(rvec[0, 0]), float(rvec[1, 0]), float(rvec[2, 0])),
            (float(pos[0]), float(pos[1]), float(pos[2])),
        )

    @classmethod
    def from_rvec_tvec(cls, rvec: npt.ArrayLike, tvec: npt.ArrayLike) -> Pose:
        """A pose from OpenCV's ``solvePnP`` output (``X_cam = R X_floor + tvec``, metres)."""
        rotation, _ = cv2.Rodrigues(np.asarray(rvec, dtype=np.float64).reshape(3, 1))
        position = -rotation.T @ np.asarray(tvec, dtype=np.float64).reshape(3)
        return cls.from_matrix(rotation, position)

    @classmethod
    def looking_down(
        cls,
        position_m: tuple[float, float, float],
        tilt_deg: float = 0.0,
        heading_deg: float = 90.0,
    ) -> Pose:
        """A camera at ``position_m`` pointing down, tilted by ``tilt_deg`` toward a heading.

        Args:
            position_m: camera position ``(x, y, mounting height)`` in metres.
            tilt_deg: angle of the optical axis from straight down, degrees,
                in [0, 90).
            heading_deg: floor direction (degrees counter-clockwise from +x)
                that the top of the image points to and the camera tilts
                toward. With the default 90, image right is floor +x and image
                up is floor +y, so the image reads like a map.

        Raises:
            ValueError: if ``tilt_deg`` is outside [0, 90).
        """
        if not 0.0 <= tilt_deg < 90.0:
            raise ValueError(f"tilt_deg is {tilt_deg!r}, should be in [0, 90) degrees from straight down")
        heading = math.radians(heading_deg)
        tilt = math.radians(tilt_deg)
        image_up = np.array([math.cos(heading), math.sin(heading), 0.0])
        x_axis = np.array([math.sin(heading), -math.cos(heading), 0.0])
        z_axis = math.cos(tilt) * _DOWN + math.sin(tilt) * image_up
        y_axis = np.cross(z_axis, x_axis)
        return cls.from_matrix(np.vstack([x_axis, y_axis, z_axis]), position_m)

    @cached_property
    def rotation_matrix(self) -> FloatArray:
        """The 3x3 floor-to-camera rotation matrix (read-only)."""
        matrix, _ = cv2.Rodrigues(np.asarray(self.rotation_rodrigues).reshape(3, 1))
        matrix.setflags(write=False)
        return np.asarray(matrix, dtype=np.float64)

    @property
    def position(self) -> FloatArray:
        """The camera position as a (3,) array in floor metres."""
        return np.asarray(self.position_m, dtype=np.float64)

    @property
    def tvec(self) -> FloatArray:
        """OpenCV's translation vector ``-R @ position`` in metres, shape (3,)."""
        result: FloatArray = -self.rotation_matrix @ self.position
        return result

    @property
    def mounting_height_m(self) -> float:
        """Height of the optical centre above the floor, metres."""
        return self.position_m[2]

    @property
    def optical_axis(self) -> FloatArray:
        """Unit direction the camera looks along, in the floor frame, shape (3,)."""
        return np.asarray(self.rotation_matrix[2], dtype=np.float64)

    @property
    def tilt_deg(self) -> float:
        """Angle between the optical axis and straight down, degrees (0 = looking straight down)."""
        cosine = float(np.clip(-self.optical_axis[2], -1.0, 1.0))
        return math.degrees(math.acos(cosine))
