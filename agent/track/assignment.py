"""Optimal assignment (the Hungarian problem) for the tracker: SciPy's solver, without `scipy.optimize`.

`linear_sum_assignment(cost)` is SciPy's own (`scipy.optimize.linear_sum_assignment`,
rows and columns of a minimum-cost matching of a rectangular cost matrix), taken
from the compiled module that holds it, `scipy.optimize._lsap`. Importing it the
usual way runs `scipy.optimize`'s package init, which loads most of SciPy (sparse
matrices, linear algebra, interpolation) for this one function: 49 MB of the
agent's peak resident memory on x86-64 (its whole runtime is about 200 MB, and a
Raspberry Pi-class device has little to spare), against 2 MB for the compiled
module alone. Should a SciPy release move that module, the public import is used
instead: slower to load and larger, never wrong.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

Assignment = Callable[[npt.ArrayLike], tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]]

_MODULE = "scipy.optimize._lsap"


def _load_compiled() -> Assignment | None:
    """SciPy's `linear_sum_assignment` from its compiled module file, or None if it is not where
    this SciPy keeps it (or does not load)."""
    import scipy  # the package root only: a few modules, no subpackage

    folder = Path(scipy.__file__).parent / "optimize"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"_lsap{suffix}"
        if not path.is_file():
            continue
        spec = importlib.util.spec_from_file_location(_MODULE, path)
        if spec is None or spec.loader is None:
            return None
        try:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        except ImportError:
            return None
        solver: Any = getattr(module, "linear_sum_assignment", None)
        return cast(Assignment, solver) if callable(solver) else None
    return None


def _load() -> tuple[Assignment, bool]:
    """The solver, and whether it came from the compiled module (True) or `scipy.optimize` (False)."""
    compiled = _load_compiled()
    if compiled is not None:
        return compiled, True
    from scipy.optimize import linear_sum_assignment as public

    return cast(Assignment, public), False


linear_sum_assignment, LOADED_ALONE = _load()
