"""People in the shop from door counts: in minus out, never negative, with drift correction.

Door counts are never perfect, so in - out drifts over a day (OpenDataCam
users ask for occupancy from in minus out, #122, and meet this drift). The
estimate is clamped at zero and reset to zero at a configured closing time
and whenever nobody has been seen for `empty_reset_s` (camera sensors only:
a door counter cannot see an empty shop).
"""

from __future__ import annotations

from datetime import datetime, time

from agent.types import LineCrossing


class StoreOccupancy:
    """Running estimate of people inside, from crossings of the entrance lines.

    Raises:
        ValueError: `empty_reset_s` is not > 0.
    """

    def __init__(
        self,
        entrance_lines: set[str],
        *,
        closing_time: time | None = None,
        empty_reset_s: float | None = None,
    ) -> None:
        if empty_reset_s is not None and not empty_reset_s > 0:
            raise ValueError(f"empty_reset_s is {empty_reset_s}, should be > 0")
        self._lines = entrance_lines
        self._closing = closing_time
        self._empty_reset_s = empty_reset_s
        self.people = 0
        self.corrections = 0  # people removed by clamping and resets, for the status payload
        self._empty_since_s: float | None = None
        self._last_local: datetime | None = None

    def update(
        self, t_s: float, local_now: datetime, crossings: list[LineCrossing], people_in_view: int | None
    ) -> int:
        """Apply one update; `people_in_view` is None for sensors that cannot see the floor."""
        for crossing in crossings:
            if crossing.line not in self._lines:
                continue
            if crossing.direction == "in":
                self.people += 1
            elif self.people > 0:
                self.people -= 1
            else:
                self.corrections += 1  # an "out" nobody came in for: drift, clamped at zero
        if self._closing is not None and self._last_local is not None:
            closing_today = datetime.combine(local_now.date(), self._closing, local_now.tzinfo)
            if self._last_local < closing_today <= local_now:
                self._reset()
        self._last_local = local_now
        if self._empty_reset_s is not None and people_in_view is not None:
            if people_in_view:
                self._empty_since_s = None
            elif self._empty_since_s is None:
                self._empty_since_s = t_s
            elif t_s - self._empty_since_s >= self._empty_reset_s:
                self._reset()
        return self.people

    def _reset(self) -> None:
        self.corrections += self.people
        self.people = 0
