"""The JSON Schemas every incoming payload is checked against, one validator per kind.

By default the schemas are generated from the installed payload models, the
same source as the files in `schemas/` (a test in the agent fails when they
drift); `PayloadSchemas.from_directory` reads the files themselves instead.

`status` is read leniently: devices newer than this collector may add health
fields, so unknown keys in a status are allowed while every known key must
still match its schema. Every other kind is strict.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema

from agent.publish.layout import LayoutReport
from agent.publish.payloads import REPORT_MODELS

LENIENT_KINDS = frozenset({"status"})


class SchemaError(ValueError):
    """A payload does not match its kind's schema; the message names the key path and the rule."""


def _without_additional_properties(schema: Any) -> Any:
    """A copy of `schema` in which no object forbids unknown keys."""
    if isinstance(schema, dict):
        return {
            key: _without_additional_properties(value)
            for key, value in schema.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(schema, list):
        return [_without_additional_properties(item) for item in schema]
    return schema


def generated_schemas() -> dict[str, dict[str, Any]]:
    """The schema of every kind the collector knows, generated from the payload models."""
    models = {**REPORT_MODELS}
    models.setdefault("layout", LayoutReport)
    return {
        kind: {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            **model.model_json_schema(by_alias=True, mode="serialization"),
        }
        for kind, model in models.items()
    }


class PayloadSchemas:
    """Validators keyed by kind.

    Raises:
        ValueError: a schema is itself invalid (names the kind).
    """

    def __init__(self, schemas: dict[str, dict[str, Any]]) -> None:
        self._validators: dict[str, jsonschema.Draft202012Validator] = {}
        for kind, schema in schemas.items():
            effective = (
                _without_additional_properties(copy.deepcopy(schema)) if kind in LENIENT_KINDS else schema
            )
            try:
                jsonschema.Draft202012Validator.check_schema(effective)
            except jsonschema.SchemaError as error:
                raise ValueError(
                    f"schema of kind {kind!r} is not a valid JSON Schema: {error.message}"
                ) from error
            self._validators[kind] = jsonschema.Draft202012Validator(effective)

    @classmethod
    def from_models(cls) -> PayloadSchemas:
        """Schemas generated from the installed payload models (the default)."""
        return cls(generated_schemas())

    @classmethod
    def from_directory(cls, directory: Path) -> PayloadSchemas:
        """Schemas read from `directory/<kind>.schema.json`; `layout` falls back to the model when absent.

        Raises:
            ValueError: the directory holds no schema, or a file is not JSON (names the file).
        """
        found: dict[str, dict[str, Any]] = {}
        for path in sorted(directory.glob("*.schema.json")):
            try:
                found[path.name.removesuffix(".schema.json")] = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}: not JSON ({error.msg} at line {error.lineno})") from error
        if not found:
            raise ValueError(f"{directory}: no *.schema.json file; expected the footfall schemas/ folder")
        found.setdefault("layout", generated_schemas()["layout"])
        return cls(found)

    @property
    def kinds(self) -> frozenset[str]:
        """Every kind a payload may have."""
        return frozenset(self._validators)

    def validate(self, kind: str, document: Any) -> None:
        """Check `document` against the schema of `kind`.

        Raises:
            SchemaError: unknown kind, or the first (deepest-path) violation, naming its key path.
        """
        validator = self._validators.get(kind)
        if validator is None:
            raise SchemaError(f"unknown kind {kind!r}; expected one of {sorted(self._validators)}")
        error = jsonschema.exceptions.best_match(validator.iter_errors(document))
        if error is not None:
            path = "/".join(str(p) for p in error.absolute_path) or "(top level)"
            raise SchemaError(f"{kind} payload at {path}: {error.message}")
