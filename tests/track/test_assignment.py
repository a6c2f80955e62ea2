"""The tracker's assignment solver is SciPy's, loaded without `scipy.optimize` and its 49 MB."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as public_solver

from agent.track.assignment import linear_sum_assignment


def test_the_tracker_loads_the_solver_without_scipy_optimize() -> None:
    """A fresh interpreter importing the tracker has the compiled solver and no `scipy.optimize`:
    this fails when a SciPy release moves the module and the fallback (the public import) is in use."""
    code = (
        "import sys, agent.track.kalman, agent.track.assignment as a; "
        "print(a.LOADED_ALONE, 'scipy.optimize' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (7, 3), (50, 48), (60, 60)])
def test_the_same_matching_as_scipy_optimize(shape: tuple[int, int]) -> None:
    """Rectangular costs with forbidden pairs (a large cost, as the tracker's gates leave them)."""
    rng = np.random.default_rng(sum(shape))
    for _ in range(50):
        cost = rng.random(shape)
        cost[rng.random(shape) < 0.7] = 1e9
        rows, cols = linear_sum_assignment(cost)
        want_rows, want_cols = public_solver(cost)
        np.testing.assert_array_equal(rows, want_rows)
        np.testing.assert_array_equal(cols, want_cols)


def test_a_cost_that_is_not_a_matrix_is_refused_as_scipy_refuses_it() -> None:
    with pytest.raises(ValueError):
        linear_sum_assignment(np.zeros(3))


def test_a_scipy_without_the_compiled_module_where_expected_falls_back_to_scipy_optimize(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A SciPy release that moves `_lsap` costs memory, not correctness: the public solver is used."""
    import importlib.machinery

    import agent.track.assignment as assignment

    monkeypatch.setattr(importlib.machinery, "EXTENSION_SUFFIXES", [".moved-elsewhere.so"])
    solver, alone = assignment._load()
    assert not alone
    assert solver is public_solver
    rows, cols = solver(np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
