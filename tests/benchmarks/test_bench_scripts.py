"""Smoke runs of the benchmark scripts with tiny sizes: they run, count and write what they say.

No wall-clock assertion (STYLE.md): only that each script produces its rows
and that the counters see the crossings they were given.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    """A script under benchmarks/ as a module (benchmarks/ is no package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore:The `ByteTrack` was deprecated:FutureWarning")
def test_tracking_cost_rows_and_counts() -> None:
    pytest.importorskip("supervision")
    pytest.importorskip("norfair")
    bench = _load("bench_tracking_cost")
    rows = bench.measure([1, 10], frames=60, seed=3)
    assert {(r.people, r.tracker) for r in rows} == {(n, t) for n in (1, 10) for t in bench.TRACKERS}
    for row in rows:
        assert row.cpu_ms > 0
    ours = next(r for r in rows if r.people == 10 and r.tracker == "footfall track+line")
    assert ours.true_in + ours.true_out > 0
    assert ours.count_error <= 0.5
    table = bench.format_table(rows)
    assert table.count("\n") == len(rows) + 1


def test_tracking_cost_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    bench = _load("bench_tracking_cost")
    rows = [bench.Row(n, name, 0.1 * n, 0.1 * n, 1, 1, 1, 1) for n in (1, 10) for name in bench.TRACKERS]
    bench.plot(rows, tmp_path / "cost.png")
    assert (tmp_path / "cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_side_change_counter_needs_a_firm_side() -> None:
    bench = _load("bench_tracking_cost")
    counter = bench.SideChangeCounter(0.2)
    import numpy as np

    assert counter.update([1], np.array([-0.5])) == (0, 0)
    assert counter.update([1], np.array([0.1])) == (0, 0)  # on the line: not yet
    assert counter.update([1], np.array([0.3])) == (1, 0)
    assert counter.update([1], np.array([-0.3])) == (0, 1)


def test_e2e_in_process_and_agent_on_a_committed_clip(tmp_path: Path) -> None:
    bench = _load("bench_e2e")
    clip = ROOT / "sim_videos" / "entrance.mp4"
    result = bench.run_in_process("entrance", clip, tmp_path)
    assert result.frames == 300
    assert set(result.stage_cpu_s) == set(bench.STAGES)
    assert result.stage_cpu_s["detect"] > 0
    assert sum(result.stage_cpu_s.values()) <= result.cpu_s * 1.05
    assert result.truth == {"in": 6, "out": 3}
    if shutil.which("mosquitto") is None and shutil.which("mosquitto", path="/usr/sbin") is None:
        pytest.skip("no mosquitto for the footfall run part")
    sys.path.insert(0, str(ROOT))
    from tests.helpers.broker import MosquittoBroker

    broker = MosquittoBroker(tmp_path / "mosquitto")
    broker.start()
    try:
        agent = bench.run_agent("entrance", clip, tmp_path, broker.port, "runtime deps only")
    finally:
        broker.stop()
    assert agent.exit_code == 0
    assert agent.frames == 300
    assert agent.peak_rss_mb > 10
    assert "peak RSS" in bench.format_tables([result], [agent])


def test_e2e_keeps_the_installed_detector_settings(tmp_path: Path) -> None:
    """Only the model and threads are the benchmark's: `busy` keeps its fisheye input size, its
    threshold and the installer's tracker, and `--set` overrides the rest (appearance and faint heads cost CPU too)."""
    bench = _load("bench_e2e")
    from agent.config import load_config

    extra = ("detector.views=4",)
    config = load_config(
        bench.CONFIG_DIR / "busy.toml", bench.overrides(tmp_path / "busy.mp4", tmp_path / "o.db", 1883, extra)
    )
    assert config.detector.type == "onnx"
    assert config.detector.model == bench.MODEL
    assert config.detector.input_size == (576, 432)
    assert config.detector.views == 4
    installed = load_config(bench.CONFIG_DIR / "busy.toml")
    assert config.detector.score_threshold == installed.detector.score_threshold
    assert config.tracker == installed.tracker


def test_run_all_replaces_only_its_section() -> None:
    run_all = _load("run_all")
    document = "<!-- bench:a -->\nold a\n<!-- /bench:a -->\n\n<!-- bench:b -->\nkept\n<!-- /bench:b -->\n"
    updated = run_all.replace_section(document, "a", "<!-- bench:a -->\nnew a\n<!-- /bench:a -->")
    assert "new a" in updated and "old a" not in updated and "kept" in updated
    appended = run_all.replace_section(updated, "c", "<!-- bench:c -->\nc\n<!-- /bench:c -->")
    assert appended.endswith("<!-- /bench:c -->\n")
    text = run_all._tables_as_markdown("title line\n\n| a | b |\n|---|---|\n| 1 | 2 |\nafter")
    assert text.startswith("```text\ntitle line\n```") and "| 1 | 2 |" in text and text.endswith("after\n```")


def test_detect_speedup_is_worked_out_per_round() -> None:
    bench = _load("bench_detect")
    # A model twice as fast as the reference in round 1 and four times in round 2, whatever the
    # machine's speed in each round: each round's ratio of medians, not a ratio of pooled figures.
    model_ms = [[5.0, 5.0, 9.0], [1.0, 1.0, 1.0]]
    reference_ms = [[10.0, 10.0, 10.0], [4.0, 4.0, 4.0]]
    assert bench.speedups(model_ms, reference_ms) == [2.0, 4.0]
    with pytest.raises(ValueError):
        bench.speedups(model_ms, reference_ms[:1])


def test_detect_times_each_shipped_model_in_turns(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load("bench_detect")
    assert bench.main(["--frames", "2", "--rounds", "2"]) == 0
    out = capsys.readouterr()
    assert "2 busy frames x 2 rounds, models taking turns" in out.out
    rows = [line for line in out.out.splitlines() if line.startswith("| footfall head")]
    assert len(rows) == 3
    for row in rows:
        inference_ms, detect_ms = float(row.split("|")[4]), float(row.split("|")[6])
        assert 0 < inference_ms <= detect_ms * 1.5  # detect adds resizing and decoding to the run
    assert out.err.count("round ") == 2
