"""Run every benchmark and write benchmarks/RESULTS.md: machine, date and the exact command of each table.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only NAME ...] [--skip NAME ...] [--dry-run]

Each benchmark is a script under benchmarks/ that prints its tables; this
runs them one after another (never two at once: they time the CPU), and
replaces each one's section of RESULTS.md, between `<!-- bench:NAME -->`
and `<!-- /bench:NAME -->`, with its output, the date, the machine and the
command. Sections of benchmarks not run this time (`--skip`, `--only`, a
failure) and hand-written sections (no script: `tof`, `systemd`,
`pi-estimate`, `goals`) are kept as they are, with the date they carry.

`--quick` runs every script with small sizes (a smoke run: minutes, not
tens of minutes) and writes to RESULTS.quick.md instead, so a quick run
never replaces the real figures. `--dry-run` prints the commands only.
Needs the bench extra and norfair (benchmarks/README.md); `detect` times
YOLOv8n only if /tmp/yolov8n holds the models of build_yolov8n.py.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
YOLO_DIR = Path("/tmp/yolov8n")
PYTHON = ".venv/bin/python"
PACKAGES = (
    "onnxruntime",
    "opencv-python-headless",
    "numpy",
    "scipy",
    "supervision",
    "norfair",
    "motmetrics",
    "paho-mqtt",
    "sqlite-utils",
)


@dataclass(frozen=True)
class Benchmark:
    """One script: section name, title, arguments for a full and a quick run, and a fixed note."""

    name: str
    title: str
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    note: str = ""
    in_quick: bool = True  # part of a --quick run unless named with --only

    def command(self, quick: bool) -> list[str]:
        """The command line, relative to the repository root."""
        return [PYTHON, f"benchmarks/{self.script}", *(self.quick if quick else self.full)]


def _yolo_args() -> tuple[str, ...]:
    return ("--yolo-dir", str(YOLO_DIR)) if (YOLO_DIR / "yolov8n_640.onnx").exists() else ()


BENCHMARKS = (
    Benchmark(
        "e2e",
        "End to end (`benchmarks/bench_e2e.py`)",
        "bench_e2e.py",
        (),
        ("--quick",),
        "The five simulated clips rendered at 640 x 480, through the whole agent on one CPU with the "
        "shipped INT8 model and the Kalman tracker; stage times are CPU time, so they hold under load; "
        "`fps` (wall clock) does not. Peak RSS is a real `footfall run` process's. See the script's "
        "docstring for exactly what each stage covers.",
    ),
    Benchmark(
        "tracking-cost",
        "Tracking and counting cost against the peers (`benchmarks/bench_tracking_cost.py`)",
        "bench_tracking_cost.py",
        ("--profile", "50"),
        ("--quick", "--people", "1,10,50", "--plot", ""),
        "Identical synthetic detections for every tracker (walkers at 0.3 people/m², 5 cm noise, 5 % "
        "missed, false alarms); CPU time of one thread per frame, warm-up excluded. Plot: "
        "`benchmarks/tracking_cost.png`. The profile is of `footfall full` at 50 people.",
    ),
    Benchmark(
        "detect",
        "Detectors (`benchmarks/bench_detect.py`)",
        "bench_detect.py",
        _yolo_args(),
        ("--frames", "5", "--rounds", "2", *_yolo_args()),
        "CPU time of one ONNX Runtime thread per inference, the models taking turns over the same frames; YOLOv8n has random weights "
        "(`benchmarks/build_yolov8n.py`), speed does not depend on them.",
    ),
    Benchmark(
        "idle",
        "Idle cost: busy against night (`benchmarks/bench_idle.py`)",
        "bench_idle.py",
        (),
        ("--seconds", "5"),
        "Process CPU per frame of the camera pipeline (INT8 model at the input size the installer sets for "
        "each camera: 576 x 432 and two views under `busy`'s fisheye, 320 x 240 elsewhere; Kalman tracker): no motion "
        "gate, the gate with whole-frame detection only, and the gate as configured by default (detection "
        "around what moved).",
    ),
    Benchmark(
        "delivery",
        "Delivery (`benchmarks/bench_delivery.py`)",
        "bench_delivery.py",
        (),
        ("--days", "1", "--enqueue", "300"),
        "Outbox enqueue (one report per transaction) and draining a backlog to a private Mosquitto "
        "on this machine.",
    ),
    Benchmark(
        "sim",
        "Simulator (`benchmarks/bench_sim.py`)",
        "bench_sim.py",
        (),
        ("--seconds", "3"),
        "Rendering at 640 x 480 on one core, OpenCV on one thread.",
    ),
    Benchmark(
        "accuracy",
        "Accuracy on simulated clips with exact truth (`benchmarks/accuracy_clips.py`)",
        "accuracy_clips.py",
        (),
        ("--quick", "--out", "/dev/null"),  # a smoke run must not replace the table
        "Issue #7's table: count error per line and direction, MOTA, IDF1, dwell error and heatmap "
        "correlation on the committed clips and held-out seeds of every scenario, with the shipped "
        "INT8 model and the Kalman tracker (also written to `benchmarks/accuracy_clips.md`).",
    ),
    Benchmark(
        "accuracy-perfect",
        "Accuracy with perfect detections (`benchmarks/accuracy_clips.py --perfect-detections`)",
        "accuracy_clips.py",
        ("--perfect-detections",),
        ("--perfect-detections", "--quick", "--out", "/dev/null"),
        "The same clips and scoring as the accuracy table, with the detector replaced by the truth's "
        "head tops (everyone whose head is in the image, exactly, projected at 1.7 m): what the tracker, "
        "lines, zones and heatmap make of a perfect detector. The difference from the accuracy table is "
        "the detector's share of each error (also written to `benchmarks/accuracy_perfect.md`).",
    ),
    Benchmark(
        "tud",
        "Tracking on real data: TUD (`benchmarks/tracking_tud.py`)",
        "tracking_tud.py",
        (),
        ("--seeds", "1", "--frames", "40"),
        "TUD-Campus and TUD-Stadtmitte ground truth (shipped in motmetrics 1.4.0) turned into "
        "identical noisy detections for every tracker, scored by foot point within 0.5 pseudo-metres; "
        "mean over the seeds. These are side views: a person leaving at the image edge and another "
        "entering 0.3 pseudo-metres away are told apart by box size (ByteTrack's IoU), not by position, "
        "a case a ceiling camera's floor metres do not have.",
    ),
    Benchmark(
        "collector",
        "Collector (`benchmarks/bench_collector.py`)",
        "bench_collector.py",
        (),
        ("--devices", "10", "--hours", "1", "--skip-ingest"),
        "Ingest of 100 simulated devices through Mosquitto into SQLite and PostgreSQL, then the full "
        "Auckland import and every dashboard query (several minutes).",
        in_quick=False,
    ),
)


def machine() -> str:
    """CPU model, cores, Python and the key package versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = ""
    try:
        text = Path("/proc/cpuinfo").read_text()
        wanted = [f for f in ("avx2", "avx512f", "avx512_vnni") if re.search(rf"\b{f}\b", text)]
        flags = f" ({', '.join(wanted)})" if wanted else ""
    except OSError:
        pass
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    return (
        f"{cpu}{flags}, {os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}; "
        f"Python {platform.python_version()}; {', '.join(versions)}"
    )


def load_note() -> str:
    """The 1-minute load average against the cores, to say whether the machine was shared."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return ""
    cores = os.cpu_count() or 1
    if load > 0.5 * cores:
        return (
            f" Measured **under load** (1-minute load average {load:.1f} on {cores} cores at the start of "
            "this table: other jobs shared the machine): wall-clock figures are inflated and noisy; "
            "CPU-time figures, where a table has them, and ratios within one table hold better."
        )
    return f" 1-minute load average {load:.1f} on {cores} cores at the start."


def section(bench: Benchmark, output: str, quick: bool, when: str, note_load: str) -> str:
    """The Markdown section of one benchmark: title, date, machine note, command, its output."""
    command = shlex.join(bench.command(quick))
    body = output.strip()
    if not body.lstrip().startswith("|") and "\n|" not in body:
        body = f"```text\n{body}\n```"
    else:  # Markdown tables stay tables; other printed lines become a text block around them
        body = _tables_as_markdown(body)
    return (
        f"<!-- bench:{bench.name} -->\n## {bench.title}\n\n"
        f"Measured {when}.{note_load} Rerun: `{command}`.\n\n"
        f"{bench.note}\n\n{body}\n<!-- /bench:{bench.name} -->"
    )


def _tables_as_markdown(text: str) -> str:
    """Keep Markdown table lines as they are, fence every other run of lines as text."""
    blocks: list[str] = []
    plain: list[str] = []
    table: list[str] = []

    def flush_plain() -> None:
        lines = "\n".join(plain).strip("\n")
        if lines.strip():
            blocks.append(f"```text\n{lines}\n```")
        plain.clear()

    def flush_table() -> None:
        if table:
            blocks.append("\n".join(table))
        table.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            flush_plain()
            table.append(line)
        else:
            flush_table()
            plain.append(line)
    flush_plain()
    flush_table()
    return "\n\n".join(blocks)


def replace_section(document: str, name: str, new: str) -> str:
    """`document` with section `name` replaced by `new`, or `new` appended where there is none."""
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    if pattern.search(document):
        return pattern.sub(lambda _: new, document, count=1)
    return document.rstrip() + "\n\n" + new + "\n"


def header(when: str) -> str:
    """The top of RESULTS.md."""
    return (
        "<!-- bench:header -->\n# Benchmark results\n\n"
        "Written by `.venv/bin/python benchmarks/run_all.py`; every section says when it was measured "
        "and the exact command that reproduces it (run from the repository root). Figures depend on "
        "the machine and on what else runs on it: compare ratios measured in the same table.\n\n"
        f"Last run: {when}, on: {machine()}.\n<!-- /bench:header -->"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks and rewrite their sections."""
    names = [b.name for b in BENCHMARKS]
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes; writes RESULTS.quick.md")
    parser.add_argument("--only", nargs="+", choices=names, metavar="NAME", help=f"only these: {names}")
    parser.add_argument("--skip", nargs="+", default=[], choices=names, metavar="NAME")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    parser.add_argument("--output", type=Path, help="file to write (default RESULTS.md / RESULTS.quick.md)")
    args = parser.parse_args(argv)
    selected = [
        b
        for b in BENCHMARKS
        if (b.name in args.only if args.only else b.in_quick or not args.quick) and b.name not in args.skip
    ]
    output = args.output or (RESULTS.with_name("RESULTS.quick.md") if args.quick else RESULTS)
    if args.dry_run:
        for bench in selected:
            print(shlex.join(bench.command(args.quick)))
        return 0
    document = output.read_text(encoding="utf-8") if output.exists() else RESULTS.read_text(encoding="utf-8")
    failed = []
    for bench in selected:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        note = load_note()
        print(f"== {bench.name}: {shlex.join(bench.command(args.quick))}", file=sys.stderr, flush=True)
        started = time.monotonic()
        done = subprocess.run(
            bench.command(args.quick), cwd=ROOT, capture_output=True, text=True, env={**os.environ}
        )
        print(f"   {time.monotonic() - started:.0f} s, exit {done.returncode}", file=sys.stderr, flush=True)
        if done.returncode != 0:
            failed.append(bench.name)
            print(done.stderr[-3000:], file=sys.stderr)
            continue  # the old section stays, with its own date
        document = replace_section(document, bench.name, section(bench, done.stdout, args.quick, when, note))
        output.write_text(document, encoding="utf-8")  # after each one: a later failure loses nothing
    top = header(datetime.now(UTC).strftime("%Y-%m-%d"))
    if "<!-- bench:header -->" in document:
        document = replace_section(document, "header", top)
    else:
        document = top + "\n\n" + document
    output.write_text(document, encoding="utf-8")
    print(f"wrote {output}" + (f"; failed: {', '.join(failed)}" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
