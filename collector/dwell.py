"""Dwell-time percentiles estimated from histogram bins (the devices publish bins, never single stays).

Within a bin the stays are assumed spread evenly, so a percentile is
interpolated linearly between the bin's edges. A percentile that falls in
the open last bin (e.g. "600 s or more") can only be given as its lower edge:
`at_least` says so, and the dashboard shows "≥ 600 s".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class DwellBinTotal:
    """People whose stay lasted [min_s, max_s) seconds; `max_s` None for the open last bin."""

    min_s: float
    max_s: float | None
    people: int


@dataclass(frozen=True)
class DwellEstimate:
    """An estimated percentile in seconds; `at_least` when it lies in the open last bin."""

    seconds: float
    at_least: bool

    def label(self) -> str:
        """ "42 s" or "≥ 600 s"."""
        return f"{'≥ ' if self.at_least else ''}{self.seconds:.0f} s"


def dwell_percentile(bins: Iterable[DwellBinTotal], fraction: float) -> DwellEstimate | None:
    """The `fraction` (0 < fraction < 1) percentile of the stays in `bins`; None when no one stayed.

    Raises:
        ValueError: `fraction` outside (0, 1), or a bin with negative people.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction is {fraction}, should be between 0 and 1 (exclusive)")
    ordered = sorted(bins, key=lambda b: b.min_s)
    for b in ordered:
        if b.people < 0:
            raise ValueError(f"dwell bin from {b.min_s} s has {b.people} people, should be >= 0")
    total = sum(b.people for b in ordered)
    if total == 0:
        return None
    target = fraction * total
    below = 0
    for b in ordered:
        if b.people and below + b.people >= target:
            if b.max_s is None:
                return DwellEstimate(b.min_s, at_least=True)
            share = (target - below) / b.people
            return DwellEstimate(b.min_s + share * (b.max_s - b.min_s), at_least=False)
        below += b.people
    last = ordered[-1]
    return DwellEstimate(last.max_s if last.max_s is not None else last.min_s, at_least=last.max_s is None)
