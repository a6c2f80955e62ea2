"""The time each update of the tracks stands for: the seconds since the previous one, capped.

A frame seen at time t stands for the interval since the frame before it;
a person seen inside a zone (or a heatmap cell) in N consecutive updates
was there for N such intervals, not N - 1. The cap keeps a stalled source
from crediting one place with minutes nobody saw.
"""

from __future__ import annotations

# Longest gap between updates credited as presence (s): more means the source stalled.
MAX_STEP_S = 1.0


class UpdateStep:
    """Seconds since the previous update, in [0, MAX_STEP_S]; 0 for the first update."""

    def __init__(self) -> None:
        self._last_t_s: float | None = None

    def advance(self, t_s: float) -> float:
        """The step (s) that the update at `t_s` stands for; time going backwards gives 0."""
        step_s = 0.0 if self._last_t_s is None else min(MAX_STEP_S, max(0.0, t_s - self._last_t_s))
        self._last_t_s = t_s
        return step_s
