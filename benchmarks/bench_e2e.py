"""End to end: simulated 640 x 480 clips through the whole agent on one core, and a real agent's peak memory.

    .venv/bin/python benchmarks/bench_e2e.py [--scenarios entrance,aisle,checkout,busy,night]
        [--clip-dir DIR] [--quick] [--set KEY=VALUE ...]

Clips. Each scenario's committed clip is 480 x 360; this renders the same
clips (same scenario, seed, length and 10 fps: the commands of
sim_videos/README.md) at 640 x 480 with `footfall simulate ... --size
640x480` into `--clip-dir` (default: a temporary folder; an existing clip
there is reused).

Config. The installer config `config/scenarios/NAME.toml` (calibration,
lines, zones) with these `--set` overrides, the same for both parts below:
the clip as a `file` source read as fast as possible (`realtime = false`);
the installer's detector settings (`busy`'s fisheye keeps its 576 x 432
input and two views, 448 x 336 and one view until 2026-12-03, every
scenario its `score_threshold`) with the shipped INT8 model,
`threads = 1` and the motion gate on by default, and `point_height_m = 1.7`
(the model points at the head top); the installer's tracker (the `kalman`
tracker with the shipped head model's settings: appearance, faint heads);
the heatmap on; the outbox in a temporary folder. Until 2026-12-02 03:00 it
ran every scenario at `score_threshold = 0.4` with the tracker's defaults
(no appearance).

1. In process, one thread, pinned to one CPU (OpenCV, its FFmpeg decoder
   and ONNX Runtime on one thread): the agent's own `build_counting` stages
   (`CameraCounting.steps`: decoding and processing on this one thread)
   with their stage objects wrapped by timers from here (no agent code
   changed), then what the pipeline's processing stage does per step:
   zones, bucket aggregation, and the outbox through `ReportSink` (no
   publisher: reports stay in the outbox). Per stage, CPU milliseconds per
   frame (`time.process_time`): decode (reading the next frame), detect
   (motion gate, resize, inference, peak decoding), project (pixels to
   floor metres), track, analytics (line counters, zone watcher, bucket
   contents incl. heatmap) and outbox (enqueueing the reports of the buckets
   that closed: SQLite). `fps` is frames per wall-clock second; `CPU fps` is
   frames per CPU second, what one uncontended core would do.
2. A real agent: `footfall run --config ... --set ...` as a subprocess,
   pinned to one CPU (its capture, processing and publisher threads share
   it), publishing to a private Mosquitto on this machine;
   its peak RSS (`ru_maxrss` from `os.wait4`, i.e. VmHWM) and its CPU
   seconds, start-up, model loading and drain included. Run twice: as
   installed in this venv, and with pandas hidden (see `INSTALLS`), as on a
   device installed without the bench or collector extras.
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # run as a script: one thread everywhere, set before NumPy and OpenCV load
    for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[_variable] = "1"
    os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = "threads;1"  # one FFmpeg decoder thread

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.helpers.broker: the private Mosquitto

MODEL = ROOT / "models" / "footfall_head_int8.onnx"
CONFIG_DIR = ROOT / "config" / "scenarios"
FOOTFALL = Path(sys.executable).with_name("footfall")
# Length in minutes of each committed clip (sim_videos/README.md), rendered here at 640 x 480.
CLIP_MINUTES = {"entrance": 0.5, "aisle": 0.5, "checkout": 1.0, "busy": 0.25, "night": 0.5}
STAGES = ("decode", "detect", "project", "track", "analytics", "outbox")

T = TypeVar("T")


def render_clip(scenario: str, clip_dir: Path) -> tuple[Path, str]:
    """The 640 x 480 clip of `scenario` (rendered unless already there) and the command that makes it."""
    command = [
        str(FOOTFALL),
        "simulate",
        "--scenario",
        scenario,
        "--seed",
        "1",
        "--minutes",
        str(CLIP_MINUTES[scenario]),
        "--fps",
        "10",
        "--size",
        "640x480",
        "--bucket",
        "10",
        "--out",
        str(clip_dir),
    ]
    clip = clip_dir / f"{scenario}.mp4"
    if not (clip.exists() and clip.with_name(f"{scenario}.truth.json").exists()):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return clip, " ".join(["footfall", *command[1:-1], "DIR"])


def overrides(clip: Path, outbox: Path, mqtt_port: int, extra: tuple[str, ...] = ()) -> list[str]:
    """`--set` overrides turning a scenario's installer config into this benchmark's (see module doc),
    then `extra` (the command line's `--set`)."""
    return [
        f'source={{type="file", path="{clip}", realtime=false, loop=false}}',
        f'detector.model="{MODEL}"',
        "detector.threads=1",
        "calibration.point_height_m=1.7",
        "heatmap.enabled=true",
        f'outbox.path="{outbox}"',
        f"mqtt.port={mqtt_port}",
        'mqtt.host="127.0.0.1"',
        *extra,
    ]


@dataclass
class StageTimer:
    """CPU seconds (`time.process_time`) spent in each stage."""

    cpu_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    def wrap(self, stage: str, method: Callable[..., T]) -> Callable[..., T]:
        """`method`, adding the CPU time of each call to `stage`."""

        def timed(*args: Any, **kwargs: Any) -> T:
            started = time.process_time()
            try:
                return method(*args, **kwargs)
            finally:
                self.cpu_s[stage] += time.process_time() - started

        return timed

    def wrap_iterator(self, stage: str, method: Callable[[], Iterator[T]]) -> Callable[[], Iterator[T]]:
        """A generator method whose every `next` is timed as `stage` (the work between is not)."""

        def timed() -> Iterator[T]:
            iterator = method()
            while True:
                started = time.process_time()
                try:
                    item = next(iterator)
                except StopIteration:
                    return
                finally:
                    self.cpu_s[stage] += time.process_time() - started
                yield item

        return timed


@contextlib.contextmanager
def _class_wrapped(cls: type, method: str, timer: StageTimer, stage: str) -> Iterator[None]:
    """While open, every call of `cls.method` (on any instance) is timed as `stage`."""
    original = cls.__dict__.get(method)
    timed_method = timer.wrap(stage, getattr(cls, method))

    def timed(self: object, *args: Any, **kwargs: Any) -> Any:
        return timed_method(self, *args, **kwargs)

    setattr(cls, method, timed)
    try:
        yield
    finally:
        if original is None:
            delattr(cls, method)
        else:
            setattr(cls, method, original)


class _NoPublisher:
    """Stands in for `MqttPublisher` in `ReportSink`: reports stay in the outbox, nothing is sent."""

    def hold(self, run_id: str) -> None:
        """Nothing to hold."""

    def release_hold(self) -> None:
        """Nothing to release."""

    def notify(self) -> None:
        """Nobody to wake."""


@dataclass(frozen=True)
class InProcess:
    """One clip through the stages in this process."""

    scenario: str
    frames: int
    wall_s: float
    cpu_s: float
    stage_cpu_s: dict[str, float]
    counted: dict[str, int]  # "in", "out" over every line
    truth: dict[str, int]


def run_in_process(scenario: str, clip: Path, work: Path, extra: tuple[str, ...] = ()) -> InProcess:
    """Run one clip through the agent's stages on this thread, timing each stage (see module doc)."""
    from agent.analytics.aggregator import BucketAggregator
    from agent.analytics.bucket_contents import BucketContents
    from agent.analytics.zones import ZoneWatcher
    from agent.config import load_config
    from agent.publish.outbox import Outbox
    from agent.publish.sink import ReportSink
    from agent.runtime.clock import SystemClock
    from agent.runtime.counting import CameraCounting, build_counting
    from agent.runtime.pipeline import heatmap_grid

    outbox_path = work / f"{scenario}-inprocess.db"
    outbox_path.unlink(missing_ok=True)
    config = load_config(CONFIG_DIR / f"{scenario}.toml", overrides(clip, outbox_path, 1883, extra))
    counting = build_counting(config, threading.Event())
    if not isinstance(counting, CameraCounting):
        raise TypeError(f"{scenario}: expected camera counting stages, got {type(counting).__name__}")
    timer = StageTimer()
    # The stage objects CameraCounting built, wrapped in place: its own loop calls them. The
    # detector and projector classes are wrapped instead of the instances, because CameraCounting
    # rebuilds both when the frames' size differs from the calibration's.
    source, floor = counting._source, counting._floor
    source.frames = timer.wrap_iterator("decode", source.frames)  # type: ignore[method-assign]
    floor._tracker.update = timer.wrap("track", floor._tracker.update)  # type: ignore[method-assign]
    for counter in floor._counters:
        counter.update = timer.wrap("analytics", counter.update)  # type: ignore[method-assign]
    patches = contextlib.ExitStack()
    patches.enter_context(_class_wrapped(type(counting._detector), "detect", timer, "detect"))
    patches.enter_context(_class_wrapped(type(counting._projector), "project", timer, "project"))
    clock = SystemClock()
    outbox = Outbox(
        outbox_path,
        topic_prefix=config.mqtt.topic_prefix,
        synchronous=config.outbox.synchronous,
        max_bytes=config.outbox.max_bytes,
        max_age_s=config.outbox.max_age_s,
        run_id="bench",
        wall=clock.wall,
    )
    sink = ReportSink(outbox, _NoPublisher(), clock, run_id="bench", hold_unsynced_s=0.0)  # type: ignore[arg-type]
    watcher = ZoneWatcher(config.zones) if config.zones else None
    contents = BucketContents(
        line_names=[line.name for line in config.lines],
        zone_names=[zone.name for zone in config.zones],
        grid=heatmap_grid(config),
        min_people_k=config.privacy.min_people_k,
    )
    aggregator = BucketAggregator(
        site=config.device.site,
        device=config.device.id,
        bucket_s=config.aggregation.bucket_s,
        line_names=[line.name for line in config.lines],
        wall_now=clock.wall,
        clock_synced=clock.is_synced,
        contents=contents,
    )
    zones_update = timer.wrap("analytics", watcher.update) if watcher is not None else None
    aggregate = timer.wrap("analytics", aggregator.add)
    store = timer.wrap("outbox", sink.store)
    counted = {"in": 0, "out": 0}
    frames = 0
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    try:
        for step in counting.steps():  # the same per-step work as Pipeline.run
            zones = (
                zones_update(step.tracks) if zones_update is not None and step.tracks is not None else None
            )
            for crossing in step.crossings:
                counted[crossing.direction] += 1
            store(aggregate(step.t_s, step.crossings, step.tracks, zones))
            frames += 1
        store(timer.wrap("outbox", aggregator.flush)())
    finally:
        patches.close()
        counting.close()
    wall_s, cpu_s = time.perf_counter() - started_wall, time.process_time() - started_cpu
    outbox.close()
    truth_doc = json.loads(clip.with_name(f"{scenario}.truth.json").read_text(encoding="utf-8"))
    truth = {d: sum(c["direction"] == d for c in truth_doc["crossings"]) for d in ("in", "out")}
    return InProcess(scenario, frames, wall_s, cpu_s, dict(timer.cpu_s), counted, truth)


@dataclass(frozen=True)
class AgentProcess:
    """One `footfall run` subprocess."""

    scenario: str
    install: str
    frames: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    exit_code: int


# sqlite-utils imports pandas whenever it is importable. pandas is no dependency of the agent, but the
# bench extra (motmetrics) and the collector extra install it in a development venv, where it adds
# about 30 MB to the agent's peak RSS. "runtime deps only" hides it, as a device installed without extras is.
INSTALLS = {
    "this venv": [str(FOOTFALL)],
    "runtime deps only": [
        sys.executable,
        "-c",
        "import sys; sys.modules['pandas'] = None; from agent.cli import main; raise SystemExit(main())",
    ],
}


def run_agent(
    scenario: str, clip: Path, work: Path, mqtt_port: int, install: str, extra: tuple[str, ...] = ()
) -> AgentProcess:
    """`footfall run` on the clip, pinned to one CPU; its peak RSS and CPU from `os.wait4`."""
    outbox = work / f"{scenario}-agent.db"
    outbox.unlink(missing_ok=True)
    command = [*INSTALLS[install], "run", "--config", str(CONFIG_DIR / f"{scenario}.toml")]
    for override in overrides(clip, outbox, mqtt_port, extra):
        command += ["--set", override]
    cpu = min(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None

    def pin() -> None:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=pin
    )
    assert process.stderr is not None
    stderr = process.stderr.read()  # until the agent exits (it writes little)
    _, status, usage = os.wait4(process.pid, 0)
    wall_s = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    summary = [line for line in stderr.splitlines() if line.startswith("footfall: ")]
    frames = int(summary[-1].split()[1]) if summary else 0
    if process.returncode != 0 or not summary:
        print(f"footfall run on {scenario} failed ({process.returncode}):\n{stderr}", file=sys.stderr)
    return AgentProcess(
        scenario,
        install,
        frames,
        wall_s,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,  # KiB on Linux
        process.returncode,
    )


def format_tables(in_process: list[InProcess], agents: list[AgentProcess]) -> str:
    """Two Markdown tables: per-stage CPU of the in-process run; the subprocess agent's figures."""
    stage_header = " | ".join(f"{s} ms" for s in STAGES)
    lines = [
        f"| clip (640 x 480) | frames | fps | CPU fps | CPU ms/frame | {stage_header} | in / true | out / true |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(STAGES) + "---:|---:|",
    ]
    totals = {"frames": 0, "wall": 0.0, "cpu": 0.0, **dict.fromkeys(STAGES, 0.0)}
    for r in in_process:
        stages = " | ".join(f"{1000 * r.stage_cpu_s[s] / r.frames:.2f}" for s in STAGES)
        lines.append(
            f"| {r.scenario} | {r.frames} | {r.frames / r.wall_s:.0f} | {r.frames / r.cpu_s:.0f} | "
            f"{1000 * r.cpu_s / r.frames:.2f} | {stages} | {r.counted['in']} / {r.truth['in']} | "
            f"{r.counted['out']} / {r.truth['out']} |"
        )
        totals["frames"] += r.frames
        totals["wall"] += r.wall_s
        totals["cpu"] += r.cpu_s
        for s in STAGES:
            totals[s] += r.stage_cpu_s[s]
    if len(in_process) > 1:
        n = totals["frames"]
        stages = " | ".join(f"{1000 * totals[s] / n:.2f}" for s in STAGES)
        lines.append(
            f"| **all** | {n:.0f} | {n / totals['wall']:.0f} | {n / totals['cpu']:.0f} | "
            f"{1000 * totals['cpu'] / n:.2f} | {stages} | | |"
        )
    lines += [
        "",
        "| `footfall run` (subprocess) | installed | frames | wall s | CPU s | CPU ms/frame (start-up incl.) "
        "| peak RSS MB | exit |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for a in agents:
        per_frame = f"{1000 * a.cpu_s / a.frames:.2f}" if a.frames else "-"
        lines.append(
            f"| {a.scenario} | {a.install} | {a.frames} | {a.wall_s:.1f} | {a.cpu_s:.2f} | {per_frame} | "
            f"{a.peak_rss_mb:.0f} | {a.exit_code} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Render the clips if needed, run both parts and print the tables."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenarios", default=",".join(CLIP_MINUTES), help="comma-separated scenario names")
    parser.add_argument(
        "--clip-dir", type=Path, help="where the 640 x 480 clips are kept (default: temporary)"
    )
    parser.add_argument("--quick", action="store_true", help="only the `busy` and `entrance` clips")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one more config override for every clip, as `footfall run --set` (e.g. detector.views=2)",
    )
    args = parser.parse_args(argv)
    extra = tuple(
        args.set
    )  # as agent.config.add_overrides_argument, without importing agent before the pinning
    scenarios = ["entrance", "busy"] if args.quick else args.scenarios.split(",")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import cv2

    cv2.setNumThreads(1)
    from tests.helpers.broker import MosquittoBroker

    with tempfile.TemporaryDirectory(prefix="footfall-e2e-") as tmp:
        work = Path(tmp)
        clip_dir = args.clip_dir or work / "clips"
        clip_dir.mkdir(parents=True, exist_ok=True)
        clips = {}
        for scenario in scenarios:
            clips[scenario], command = render_clip(scenario, clip_dir)
            print(f"clip: {command}", file=sys.stderr)
        in_process = []
        for scenario in scenarios:
            in_process.append(run_in_process(scenario, clips[scenario], work, extra))
            print(f"in process: {scenario} done", file=sys.stderr)
        work.chmod(0o755)  # mosquitto, started as root, drops to its own user and writes its log here
        (work / "mosquitto").mkdir(mode=0o777)
        (work / "mosquitto").chmod(0o777)
        broker = MosquittoBroker(work / "mosquitto")
        broker.start()
        try:
            agents = [
                run_agent(s, clips[s], work, broker.port, install, extra)
                for s in scenarios
                for install in INSTALLS
            ]
        finally:
            broker.stop()
        if args.clip_dir is None:
            shutil.rmtree(clip_dir, ignore_errors=True)
    print(
        f"model {MODEL.relative_to(ROOT)} ({MODEL.stat().st_size / 1e3:.0f} kB), ONNX Runtime 1 thread, "
        "Kalman tracker, heatmap on, one CPU" + "".join(f", --set {o}" for o in args.set) + "\n"
    )
    print(format_tables(in_process, agents))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
