"""The installer's tally: people counted by hand against the device's counts, and its record.

The installer presses "in" or "out" as each person crosses the line; the
device's counts over the same time come from the live line counter. Accuracy
is ``1 - (|device in - tally in| + |device out - tally out|) / (tally in + tally out)``,
floored at 0 (per direction: that direction's terms only); undefined until
someone was tallied. The record saved holds counts and times only.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.types import Direction

RECORD_KIND = "footfall.validation"
RECORD_VERSION = 1


def accuracy(tally: int, device: int) -> float | None:
    """``1 - |device - tally| / tally`` floored at 0; None while ``tally`` is 0."""
    if tally <= 0:
        return None
    return max(0.0, 1.0 - abs(device - tally) / tally)


@dataclass
class Tally:
    """Hand counts on one line since ``started_s`` (monotonic) / ``started_at`` (wall clock, UTC)."""

    line: str
    epoch: int
    people_in: int = 0
    people_out: int = 0
    started_s: float = field(default_factory=time.monotonic)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def press(self, direction: Direction) -> None:
        """One person crossed in ``direction``.

        Raises:
            ValueError: ``direction`` is not "in" or "out".
        """
        if direction == "in":
            self.people_in += 1
        elif direction == "out":
            self.people_out += 1
        else:
            raise ValueError(f"direction is {direction!r}, expected 'in' or 'out'")

    def summary(self, device_in: int, device_out: int) -> dict[str, Any]:
        """Tally, device counts and accuracy as JSON-ready numbers."""
        total = self.people_in + self.people_out
        error = abs(device_in - self.people_in) + abs(device_out - self.people_out)
        overall = None if total == 0 else max(0.0, 1.0 - error / total)
        return {
            "line": self.line,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "duration_s": round(time.monotonic() - self.started_s, 1),
            "tally": {"in": self.people_in, "out": self.people_out},
            "device": {"in": device_in, "out": device_out},
            "accuracy": {
                "in": accuracy(self.people_in, device_in),
                "out": accuracy(self.people_out, device_out),
                "overall": overall,
            },
        }


def write_record(config_path: Path, device: str, summary: dict[str, Any]) -> Path:
    """Write a validation record next to the config: ``NAME.validation-<UTC timestamp>.json``.

    The record holds the device id, line, times, the tally, the device's counts
    (``device_counts``) and the accuracy: nothing about any person.

    Raises:
        OSError: the file cannot be written.
    """
    now = datetime.now(UTC)
    counts = {key: value for key, value in summary.items() if key != "device"}
    record = {
        "kind": RECORD_KIND,
        "version": RECORD_VERSION,
        "device": device,
        "config": config_path.name,
        "saved_at": now.isoformat(timespec="seconds"),
        **counts,
        "device_counts": summary["device"],
    }
    path = config_path.with_name(f"{config_path.stem}.validation-{now.strftime('%Y%m%dT%H%M%SZ')}.json")
    counter = 2
    while path.exists():
        path = config_path.with_name(
            f"{config_path.stem}.validation-{now.strftime('%Y%m%dT%H%M%SZ')}-{counter}.json"
        )
        counter += 1
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path
