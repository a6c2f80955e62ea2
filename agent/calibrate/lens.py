"""``footfall calibrate lens``: intrinsics and distortion from photographs of a checkerboard.

The images are read from the installer's folder, in place. Nothing is
copied, resized to disk or logged: only the corner positions are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from agent.calibrate.board import Checkerboard
from agent.geometry.errors import CalibrationError
from agent.geometry.lens import Lens, LensKind

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
#: Refuse a lens whose RMS reprojection error is above this (pixels).
DEFAULT_MAX_RMS_PX = 1.0
#: Fewer views than this do not pin down five distortion coefficients.
DEFAULT_MIN_VIEWS = 6


@dataclass(frozen=True)
class LensCalibration:
    """The result of a lens calibration.

    Attributes:
        lens: the recovered intrinsics and distortion.
        rms_px: RMS reprojection error over all corners of all used images, pixels.
        per_image_rms_px: the same per used image, in the order of ``used``.
        used: images in which the board was found.
        board_not_found: images that were read but where the board was not found.
    """

    lens: Lens
    rms_px: float
    per_image_rms_px: tuple[float, ...]
    used: tuple[Path, ...]
    board_not_found: tuple[Path, ...]


def calibrate_lens(
    folder: Path,
    board: Checkerboard,
    kind: LensKind = "pinhole",
    max_rms_px: float = DEFAULT_MAX_RMS_PX,
    min_views: int = DEFAULT_MIN_VIEWS,
) -> LensCalibration:
    """Calibrate a lens from the checkerboard images in ``folder``.

    Args:
        folder: directory with the installer's photographs (.png, .jpg, .jpeg,
            .bmp, .tif, .tiff), all at the camera's working resolution.
        board: the printed board (inner corners and measured square size).
        kind: ``"pinhole"`` (k1, k2, p1, p2, k3) or ``"fisheye"`` (equidistant k1..k4).
        max_rms_px: refuse when the RMS reprojection error exceeds this, pixels.
        min_views: refuse with fewer images in which the board was found.

    Raises:
        CalibrationError: the folder is missing or holds no images, an image
            cannot be read or has a different size, the board was found in
            too few images, OpenCV fails, or the RMS error is above ``max_rms_px``.
            The message names the folder or files and the figures.
    """
    images = _list_images(folder)
    image_points: list[npt.NDArray[np.float32]] = []
    used: list[Path] = []
    not_found: list[Path] = []
    size: tuple[int, int] | None = None
    for path in images:
        gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            raise CalibrationError(
                f"image {str(path)!r} cannot be read (not an image, or damaged); remove it from the folder"
            )
        this_size = (int(gray.shape[1]), int(gray.shape[0]))
        if size is None:
            size = this_size
        elif this_size != size:
            raise CalibrationError(
                f"image {str(path)!r} is {this_size[0]}x{this_size[1]} px, expected {size[0]}x{size[1]} px "
                f"like {str(images[0])!r}: all images must come from the camera at its working resolution"
            )
        found, corners = cv2.findChessboardCornersSB(gray, (board.inner_cols, board.inner_rows))
        if found:
            image_points.append(corners.reshape(-1, 2).astype(np.float32))
            used.append(path)
        else:
            not_found.append(path)
        del gray  # the image is not kept beyond this loop iteration
    assert size is not None
    if len(used) < min_views:
        missing = ", ".join(p.name for p in not_found[:8]) + (" ..." if len(not_found) > 8 else "")
        raise CalibrationError(
            f"the {board.inner_cols}x{board.inner_rows} board was found in {len(used)} of {len(images)} "
            f"images in {str(folder)!r}, need at least {min_views}"
            + (f" (not found in: {missing})" if not_found else "")
            + "; check the --cols/--rows inner-corner counts and take sharper, well-lit photos"
        )
    lens, rvecs, tvecs = _solve(board, image_points, size, kind)
    per_image = _per_image_rms(lens, board, image_points, rvecs, tvecs)
    rms = float(np.sqrt(np.mean(np.square(per_image))))
    if not rms <= max_rms_px:
        worst = sorted(zip(per_image, used, strict=True), key=lambda pair: -pair[0])[:3]
        names = ", ".join(f"{path.name} ({error:.2f} px)" for error, path in worst)
        raise CalibrationError(
            f"lens calibration refused: RMS reprojection error {rms:.2f} px is above the limit "
            f"{max_rms_px:g} px (worst images: {names}); remove blurred or badly lit images, check the "
            f"lens kind ({kind}) and that the board is flat"
        )
    return LensCalibration(lens, rms, tuple(float(e) for e in per_image), tuple(used), tuple(not_found))


def _list_images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise CalibrationError(f"image folder {str(folder)!r} does not exist or is not a directory")
    images = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise CalibrationError(
            f"image folder {str(folder)!r} holds no images, "
            f"expected files ending in {', '.join(IMAGE_SUFFIXES)}"
        )
    return images


def _solve(
    board: Checkerboard,
    image_points: list[npt.NDArray[np.float32]],
    size: tuple[int, int],
    kind: LensKind,
) -> tuple[Lens, list[npt.NDArray[np.float64]], list[npt.NDArray[np.float64]]]:
    """Run OpenCV's calibration; returns the lens and each view's rvec/tvec."""
    objects = board.object_points_m().astype(np.float32)
    try:
        if kind == "pinhole":
            _, matrix, dist, rvecs, tvecs = cv2.calibrateCamera(
                [objects] * len(image_points), image_points, size, None, None
            )
            coefficients = tuple(float(k) for k in np.asarray(dist).ravel()[:5])
        else:
            flags = cv2.CALIB_RECOMPUTE_EXTRINSIC | cv2.CALIB_FIX_SKEW
            criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 200, 1e-10)
            _, matrix, dist, rvecs, tvecs = cv2.fisheye.calibrate(
                # cv2.fisheye wants (1, N, 3) / (1, N, 2); (N, 1, 3) fails inside OpenCV
                [objects.reshape(1, -1, 3)] * len(image_points),
                [points.reshape(1, -1, 2) for points in image_points],
                size,
                np.eye(3),
                np.zeros(4),
                flags=flags,
                criteria=criteria,
            )
            coefficients = tuple(float(k) for k in np.asarray(dist).ravel()[:4])
    except cv2.error as error:
        detail = str(error).strip().splitlines()[-1]
        raise CalibrationError(
            f"OpenCV could not calibrate a {kind} lens from {len(image_points)} views: {detail}; "
            "take photos with the board at more positions and angles"
        ) from None
    try:
        lens = Lens(
            size[0],
            size[1],
            float(matrix[0, 0]),
            float(matrix[1, 1]),
            float(matrix[0, 2]),
            float(matrix[1, 2]),
            kind,
            coefficients,
        )
    except ValueError as error:
        raise CalibrationError(f"lens calibration gave an impossible lens: {error}") from None
    return (
        lens,
        [np.asarray(r, dtype=np.float64) for r in rvecs],
        [np.asarray(t, dtype=np.float64) for t in tvecs],
    )


def _per_image_rms(
    lens: Lens,
    board: Checkerboard,
    image_points: list[npt.NDArray[np.float32]],
    rvecs: list[npt.NDArray[np.float64]],
    tvecs: list[npt.NDArray[np.float64]],
) -> npt.NDArray[np.float64]:
    objects = board.object_points_m()
    errors = []
    for found, rvec, tvec in zip(image_points, rvecs, tvecs, strict=True):
        rotation, _ = cv2.Rodrigues(rvec.reshape(3, 1))
        camera_points = objects @ rotation.T + tvec.reshape(1, 3)
        projected = lens.rays_to_pixels(camera_points)
        residual = np.linalg.norm(projected - found.astype(np.float64), axis=1)
        errors.append(float(np.sqrt(np.mean(np.square(residual)))))
    return np.asarray(errors)
