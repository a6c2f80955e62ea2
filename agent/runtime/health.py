"""Health figures the status payload reports: frame counters, stage timings, CPU temperature."""

from __future__ import annotations

from pathlib import Path

# Weight of the newest frame in the moving averages: about the last 1 / 0.05 = 20 frames count.
EWMA_WEIGHT = 0.05
THERMAL_ROOT = Path("/sys/class/thermal")
# Zone types that measure the CPU or SoC (Raspberry Pi: cpu-thermal; x86: x86_pkg_temp).
_CPU_ZONE_HINTS = ("cpu", "soc", "pkg")


class Ewma:
    """Exponentially weighted moving average; None until the first sample."""

    def __init__(self, weight: float = EWMA_WEIGHT) -> None:
        if not 0 < weight <= 1:
            raise ValueError(f"weight is {weight}, should be in (0, 1]")
        self._weight = weight
        self.value: float | None = None

    def add(self, sample: float) -> None:
        """Fold in one sample."""
        self.value = sample if self.value is None else self.value + self._weight * (sample - self.value)


class FrameStats:
    """What the processing thread did: frames processed and how long each took (milliseconds).

    `detector_ms` averages only frames the detector ran on (the motion gate
    skips the others); `processing_ms` averages every frame's whole step
    (detection, projection, tracking, counting). Written by the processing
    thread, read by the publisher's: plain numbers, so no lock is needed.
    """

    def __init__(self) -> None:
        self.processed = 0
        self.detector_ms = Ewma()
        self.processing_ms = Ewma()

    def record(self, processing_ms: float, detector_ms: float | None) -> None:
        """One processed frame: its whole step time and its detector time (None if it was skipped)."""
        self.processed += 1
        self.processing_ms.add(processing_ms)
        if detector_ms is not None:
            self.detector_ms.add(detector_ms)


def cpu_temperature_c(root: Path = THERMAL_ROOT) -> float | None:
    """The CPU's temperature in degrees Celsius from sysfs, or None when the board reports none.

    Prefers a zone whose type names the CPU or SoC, else the first readable zone.
    """
    readings: list[tuple[bool, float]] = []
    for zone in sorted(root.glob("thermal_zone*")):
        try:
            millidegrees = int((zone / "temp").read_text(encoding="ascii").strip())
            kind = (zone / "type").read_text(encoding="ascii").strip().lower()
        except (OSError, ValueError):
            continue  # a zone that cannot be read (or a sensor that errors) is skipped
        readings.append((any(hint in kind for hint in _CPU_ZONE_HINTS), millidegrees / 1000.0))
    if not readings:
        return None
    cpu = [celsius for is_cpu, celsius in readings if is_cpu]
    return round(cpu[0] if cpu else readings[0][1], 1)
