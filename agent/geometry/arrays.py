"""Shape checks shared by the vectorised geometry functions."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def as_points(values: npt.ArrayLike, width: int, name: str) -> FloatArray:
    """``values`` as a float64 (N, width) array; a single (width,) point becomes (1, width).

    Raises:
        ValueError: naming ``name``, its shape and the expected shape.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1 and array.shape[0] == width:
        array = array.reshape(1, width)
    if array.ndim != 2 or array.shape[1] != width:
        raise ValueError(f"{name} has shape {array.shape}, should be (N, {width})")
    return array
