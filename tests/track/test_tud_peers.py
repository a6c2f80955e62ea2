"""Real-data check (issue 7): our tracker, ByteTrack and norfair on the TUD ground truth in motmetrics.

Runs `benchmarks/tracking_tud.py`'s comparison over noise seeds 1-8. Skipped where the bench extra
and norfair are not installed; `scripts/setup.sh --tests` (the README's test command, and CI)
installs them.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("motmetrics")
pytest.importorskip("supervision")
pytest.importorskip("norfair")

# One worker runs the module: its fixture builds the TUD detections once (20-40 s).
pytestmark = pytest.mark.xdist_group("tud_peers")

SEEDS = list(range(1, 9))
# IDF1 of agent.track.KalmanTracker with its defaults, measured with
# `python benchmarks/tracking_tud.py --seeds 1-8` (0.928 and 0.926), less 0.02 of headroom.
IDF1_FLOOR = {"TUD-Campus": 0.90, "TUD-Stadtmitte": 0.90}


def _benchmark() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "tracking_tud.py"
    spec = importlib.util.spec_from_file_location("tracking_tud", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def idf1() -> dict[tuple[str, str], float]:
    """IDF1 by (tracker, sequence), mean over SEEDS."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The `ByteTrack` was deprecated", FutureWarning)
        return {(tracker, name): s.idf1 for tracker, name, s in _benchmark().compare(SEEDS)}


@pytest.mark.slow
@pytest.mark.parametrize("sequence", ["TUD-Campus", "TUD-Stadtmitte"])
def test_our_idf1_stays_above_the_checked_in_figure(idf1, sequence: str) -> None:
    assert idf1["footfall kalman", sequence] >= IDF1_FLOOR[sequence]


@pytest.mark.slow
@pytest.mark.parametrize("sequence", ["TUD-Campus", "TUD-Stadtmitte"])
def test_our_idf1_beats_norfair_on_the_same_points(idf1, sequence: str) -> None:
    assert idf1["footfall kalman", sequence] >= idf1["norfair points", sequence]


@pytest.mark.slow
def test_our_idf1_is_at_least_the_best_peer(idf1) -> None:
    """Issue 7, must-show 2. Measured 0.928 vs ByteTrack's 0.898 on TUD-Campus, but only 0.926 vs
    0.922 on TUD-Stadtmitte (seeds 1-8), where one draw's IDF1 moves by 0.05: a narrow lead."""
    for sequence in ("TUD-Campus", "TUD-Stadtmitte"):
        best_peer = max(
            v for (tracker, name), v in idf1.items() if name == sequence and tracker != "footfall kalman"
        )
        assert idf1["footfall kalman", sequence] >= best_peer
