"""Build YOLOv8n-architecture ONNX models (random weights) at 320 and 640 input, for bench_detect.py.

Needs the `ultralytics` package, which pulls in opencv-python (not headless)
and torchvision; keep it out of the agent's venv:

    python3 -m venv /tmp/yolo-venv
    /tmp/yolo-venv/bin/pip install torch==2.13.0 ultralytics onnx onnxscript -c <(echo torch==2.13.0)
    /tmp/yolo-venv/bin/python benchmarks/build_yolov8n.py /tmp/yolov8n

The network is built from Ultralytics' own architecture file (`yolov8n.yaml`),
nothing is downloaded, and the weights are random: inference time does not
depend on them. Output: yolov8n_320.onnx and yolov8n_640.onnx, (1, 84, N) heads.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from ultralytics.nn.modules import Detect
from ultralytics.nn.tasks import DetectionModel


def build(out_dir: Path) -> list[Path]:
    """Export YOLOv8n at 320 and 640 to `out_dir`; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = DetectionModel("yolov8n.yaml", ch=3, nc=80, verbose=False).eval()
    for module in model.modules():
        if isinstance(module, Detect):
            module.export = True  # one (1, 84, N) output, as an Ultralytics ONNX export has
            module.format = "onnx"
    paths = []
    for size in (320, 640):
        path = out_dir / f"yolov8n_{size}.onnx"
        example = torch.zeros(1, 3, size, size)
        with torch.no_grad():
            torch.onnx.export(
                model,
                (example,),
                str(path),
                dynamo=False,
                opset_version=17,
                input_names=["images"],
                output_names=["output0"],
            )
        paths.append(path)
        print(f"wrote {path}")
    return paths


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/yolov8n"))
