"""One person, one detection: a weak detection right beside a much stronger one is the same person.

The shipped head model sometimes puts a second, weaker peak on a shoulder or
a bag next to a head it found well: in one held-out `checkout` clip, 54 of
its 55 false alarms lay within 0.3 m (on the floor) of a person already
found, scoring a median 0.47 of the detection beside them. Dropping a
detection within 0.3 m of one scoring more than 1 / 0.6 times as high
halves `checkout`'s false alarms (110 -> 50 over three clips) and costs
`busy`, where people walk closest, 0.3 % of its hits (models/README.md).
Distances are measured on the floor, not in pixels, so the rule means the
same under a fisheye's rim as under its centre.

Closer still, within `same_head_m` (0.2 m), two detections are one head
whatever they score, and the weaker goes: two adults' head tops are never
that close (a head is about 0.16 m across), but a model may put two peaks
of like score on one large head seen from close by (`checkout`'s pinhole
view, 0.10-0.20 m apart on the floor). A child's head, placed on the floor
as if at adult height, can land that close to an adult's and be dropped:
5-8 pairs among `busy`'s 15,400 found heads (models/README.md).
"""

from __future__ import annotations

import numpy as np

from agent.types import BoolArray, FloatArray


def same_person_kept(
    points_m: FloatArray, scores: FloatArray, within_m: float, score_ratio: float, same_head_m: float = 0.0
) -> BoolArray:
    """Which detections to keep: each one is dropped when another within `within_m` metres scores
    more than 1 / `score_ratio` times as high, or when another within `same_head_m` metres scores
    higher (of two that score the same, the first stays).

    `points_m` (N, 2) floor metres (NaN where a ray missed the floor: never near anything),
    `scores` (N,). Apart from exact ties the rule needs no order, so it is the same whichever
    detection comes first. A distance of 0 turns its part of the rule off.
    """
    count = len(scores)
    if count < 2 or (within_m <= 0 and same_head_m <= 0):
        return np.ones(count, dtype=bool)
    x_m, y_m = points_m[:, 0], points_m[:, 1]
    dx_m, dy_m = x_m[:, None] - x_m[None, :], y_m[:, None] - y_m[None, :]
    distance2_m2 = dx_m * dx_m + dy_m * dy_m  # NaN compares False below
    # stronger[i, j]: detection i scores more than 1 / score_ratio times detection j.
    stronger = scores[:, None] * score_ratio > scores[None, :]
    dropped = (distance2_m2 < within_m * within_m) & stronger
    if same_head_m > 0:
        # outranks[i, j]: i scores higher than j, or the same and comes first.
        outranks = (scores[:, None] > scores[None, :]) | (
            (scores[:, None] == scores[None, :]) & np.tri(count, k=-1, dtype=bool).T
        )
        dropped |= (distance2_m2 < same_head_m * same_head_m) & outranks
    return np.asarray(~dropped.any(axis=0), dtype=bool)
