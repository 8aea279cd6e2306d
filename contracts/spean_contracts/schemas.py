"""Released JSON Schemas: generated from the models once, then frozen as files under `contracts/events/`."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from spean_contracts.registry import EventSpec

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _events_dir() -> Path:
    packaged = Path(__file__).with_name("_released") / "events"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "events"


EVENTS_DIR = _events_dir()
CHECKSUMS = EVENTS_DIR / "released.sha256"


def schema_path(name: str, version: str) -> Path:
    return EVENTS_DIR / name / f"{version}.json"


def generate(spec: EventSpec) -> dict[str, Any]:
    """The schema the model describes today, with the catalogue's id, description and examples."""
    body = spec.model.model_json_schema(mode="validation")
    body.pop("title", None)
    body.pop("description", None)
    return {
        "$schema": DRAFT,
        "$id": spec.dataschema,
        "title": spec.ce_type,
        "description": spec.description,
        **body,
        "examples": list(spec.examples),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def released(name: str, version: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_path(name, version).read_text())
    return loaded


def released_versions(name: str) -> list[str]:
    """Every released version of an event, oldest first."""
    files = (EVENTS_DIR / name).glob("*.json")
    return sorted((f.stem for f in files), key=lambda v: tuple(int(part) for part in v.split(".")))


@cache
def validator(name: str, version: str) -> Draft202012Validator:
    return Draft202012Validator(released(name, version), format_checker=FormatChecker())
