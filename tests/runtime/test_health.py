"""Health figures: CPU temperature from a sysfs-shaped folder, moving averages."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.runtime.health import Ewma, FrameStats, cpu_temperature_c


def _zone(root: Path, index: int, kind: str, millidegrees: str) -> None:
    zone = root / f"thermal_zone{index}"
    zone.mkdir(parents=True)
    (zone / "type").write_text(kind + "\n")
    (zone / "temp").write_text(millidegrees + "\n")


def test_cpu_zone_is_preferred_and_read_in_celsius(tmp_path: Path) -> None:
    _zone(tmp_path, 0, "acpitz", "27800")
    _zone(tmp_path, 1, "cpu-thermal", "61234")
    assert cpu_temperature_c(tmp_path) == 61.2


def test_any_readable_zone_when_none_names_the_cpu(tmp_path: Path) -> None:
    _zone(tmp_path, 0, "gpu", "not a number")
    _zone(tmp_path, 1, "board", "45000")
    assert cpu_temperature_c(tmp_path) == 45.0


def test_no_thermal_zones_is_none(tmp_path: Path) -> None:
    assert cpu_temperature_c(tmp_path) is None


def test_ewma_starts_at_the_first_sample_and_moves_by_its_weight() -> None:
    average = Ewma(0.5)
    assert average.value is None
    average.add(10.0)
    average.add(20.0)
    assert average.value == 15.0
    with pytest.raises(ValueError, match="weight is 0, should be in"):
        Ewma(0)


def test_frame_stats_leave_skipped_detections_out_of_the_detector_average() -> None:
    stats = FrameStats()
    stats.record(8.0, 6.0)
    stats.record(1.0, None)
    assert stats.processed == 2
    assert stats.detector_ms.value == 6.0
    assert stats.processing_ms.value == pytest.approx(8.0 + 0.05 * (1.0 - 8.0))
