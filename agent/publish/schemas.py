"""JSON Schemas of the MQTT payloads, generated from `agent.publish.payloads`.

The files in `schemas/` are the wire contract a central server codes against.
They are generated, never edited by hand: `footfall schemas write schemas/`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.publish.layout import LayoutReport
from agent.publish.payloads import REPORT_MODELS, Payload

#: Every payload on the wire, by the topic's last level: the bucket reports, status and layout.
WIRE_MODELS: dict[str, type[Payload]] = {**REPORT_MODELS, "layout": LayoutReport}


def generate_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every payload kind, keyed by the file name it is stored under."""
    schemas = {}
    for kind, model in WIRE_MODELS.items():
        schema = model.model_json_schema(by_alias=True, mode="serialization")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"footfall/v1/{kind}.schema.json",
            **schema,
        }
        schemas[f"{kind}.schema.json"] = schema
    return schemas


def render_schema(schema: dict[str, Any]) -> str:
    """The exact text of a schema file: sorted keys, two-space indent, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema into `directory` (created if missing); return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in generate_schemas().items():
        path = directory / name
        path.write_text(render_schema(schema), encoding="utf-8")
        written.append(path)
    return written
