"""Reading a collector database in tests: keys stored, totals per table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from collector.store import tables as t

SUMMED = {
    "counts": ("people_in", "people_out"),
    "occupancy": ("mean_people", "max_people"),
    "dwell": ("people",),
    "heatmap": ("people", "person_s"),
    "flows": ("people",),
}


def stored_keys(engine: Engine) -> dict[tuple[str, str, str, int], str]:
    """Stored payload text by (site, device, kind, bucket_start)."""
    c = t.reports.c
    with engine.connect() as connection:
        return {
            (site, device, kind, int(start)): payload
            for site, device, kind, start, payload in connection.execute(
                select(c.site, c.device, c.kind, c.bucket_start, c.payload)
            )
        }


def report_count(engine: Engine) -> int:
    """Rows in `reports`."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t.reports)).scalar_one())


def stored_totals(engine: Engine) -> dict[str, Any]:
    """Row count and column sums of every fact table, and the report count: what "every stored total" means."""
    totals: dict[str, Any] = {"reports": report_count(engine)}
    with engine.connect() as connection:
        for name, columns in SUMMED.items():
            table = t.metadata.tables[name]
            row = connection.execute(
                select(func.count(), *(func.sum(table.c[col]) for col in columns)).select_from(table)
            ).one()
            totals[name] = tuple(round(float(v or 0), 6) for v in row)
    return totals


def dead_letters(engine: Engine) -> list[tuple[str, str]]:
    """(topic, error) of every dead letter, oldest first."""
    c = t.dead_letters.c
    with engine.connect() as connection:
        return [
            (topic, error) for topic, error in connection.execute(select(c.topic, c.error).order_by(c.id))
        ]


def resent_total(engine: Engine) -> int:
    """Sum of `resent` over all reports."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.sum(t.reports.c.resent), 0))).scalar_one())
