"""Privacy audit, static part: no runtime module can write or encode an image.

The simulator (`agent/sim/`) renders synthetic clips for tests, training and
the demo; it never sees a camera. Everything else that runs on the device
must not reference OpenCV's image writers or encoders at all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

AGENT = Path(__file__).resolve().parents[1] / "agent"
IMAGE_WRITERS = {"imwrite", "imwritemulti", "imencode", "VideoWriter", "VideoWriter_fourcc"}
# Synthetic renders only (never a camera frame): the simulator.
ALLOWED = {"sim"}
# The one exception of DESIGN.md rule 1: the installer's live preview, encoded in memory for
# the authenticated browser only (`footfall calibrate serve`, off by default, stores nothing).
ALLOWED_FILES = {"calibrate/serve/preview.py"}


def _runtime_modules() -> list[Path]:
    return sorted(
        p
        for p in AGENT.rglob("*.py")
        if p.relative_to(AGENT).parts[0] not in ALLOWED
        and p.relative_to(AGENT).as_posix() not in ALLOWED_FILES
    )


@pytest.mark.parametrize("module", _runtime_modules(), ids=lambda p: str(p.relative_to(AGENT)))
def test_module_references_no_image_writer(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    used |= {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    assert not used & IMAGE_WRITERS, f"{module.relative_to(AGENT)} uses {sorted(used & IMAGE_WRITERS)}"


def test_runtime_modules_do_not_import_the_simulator_renderer() -> None:
    """The agent on a device must not pull the renderer in (except the explicit `sim` source)."""
    offenders = []
    for module in _runtime_modules():
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("agent.sim.render"):
                offenders.append(str(module.relative_to(AGENT)))
    assert offenders == []
