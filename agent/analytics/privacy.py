"""Small-count suppression (DESIGN.md rule 2).

A heatmap cell, a flow or a dwell bin seen by fewer than `k` distinct people
in a bucket could single someone out ("the one person who stood at the
pharmacy shelf at 09:14"), so it is withheld and only the number withheld is
published. Line and zone totals are published as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")


def suppress_small(items: Sequence[Item], people: Callable[[Item], int], k: int) -> tuple[list[Item], int]:
    """Keep the items seen by at least `k` people; return them and how many were withheld.

    Raises:
        ValueError: `k` < 1.
    """
    if k < 1:
        raise ValueError(f"k is {k}, should be >= 1")
    kept = [item for item in items if people(item) >= k]
    return kept, len(items) - len(kept)
