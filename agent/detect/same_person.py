"""One person, one detection: a weak detection right beside a much stronger one is the same person.

The shipped head model sometimes puts a second, weaker peak on a shoulder or
a bag next to a head it found well. On the held-out clips of `entrance`,
`aisle` and `checkout`, 54 of 55 false alarms in one `checkout` clip lay
within 0.3 m (on the floor) of a person already found, most at under 0.6
of that person's score, while two real people that close almost always
score alike (models/README.md). Distances are measured on the floor, not
in pixels, so the rule means the same under a fisheye's rim as under its
centre.
"""

from __future__ import annotations

import numpy as np

from agent.types import BoolArray, FloatArray


def same_person_kept(
    points_m: FloatArray, scores: FloatArray, within_m: float, score_ratio: float
) -> BoolArray:
    """Which detections to keep: each one is dropped when another within `within_m` metres scores
    more than 1 / `score_ratio` times as high.

    `points_m` (N, 2) floor metres (NaN where a ray missed the floor: never near anything),
    `scores` (N,). The rule needs no order, so it is the same whichever detection comes first.
    """
    count = len(scores)
    if count < 2 or within_m <= 0:
        return np.ones(count, dtype=bool)
    gaps_m = np.hypot(*(points_m[:, None, :] - points_m[None, :, :]).transpose(2, 0, 1))
    # stronger[i, j]: detection i scores more than 1 / score_ratio times detection j.
    stronger = scores[:, None] * score_ratio > scores[None, :]
    return np.asarray(~((gaps_m < within_m) & stronger).any(axis=0), dtype=bool)
