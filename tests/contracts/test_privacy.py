"""No event schema may carry a direct identifier, and each quasi-identifier is coarse."""

from __future__ import annotations

import pytest

from spean_contracts import CATALOGUE
from spean_contracts.privacy import pii_problems
from spean_contracts.schemas import released, released_versions


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda spec: spec.name)
def test_every_released_schema_keeps_personal_data_out(spec: object) -> None:
    name = spec.name  # type: ignore[attr-defined]
    for version in released_versions(name):
        assert pii_problems(released(name, version)) == []


def test_a_direct_identifier_is_caught() -> None:
    schema = {
        "type": "object",
        "properties": {
            "case_id": {"type": "string", "pattern": "^c-[0-9]+$", "x-spean-pii": "quasi"},
            "full_name": {"type": "string", "x-spean-pii": "direct"},
        },
    }
    assert pii_problems(schema) == ["$.full_name: a direct identifier may never be in an event"]


def test_an_unclassified_field_nested_in_an_array_is_caught() -> None:
    schema = {
        "type": "object",
        "$defs": {"Charge": {"type": "object", "properties": {"article": {"type": "string"}}}},
        "properties": {
            "charges": {"type": "array", "items": {"$ref": "#/$defs/Charge"}, "x-spean-pii": "none"},
        },
    }
    assert pii_problems(schema) == ["$.charges[].article: no x-spean-pii classification"]


@pytest.mark.parametrize(
    "field",
    [
        {"type": "string", "format": "date", "x-spean-pii": "quasi"},
        {"type": "string", "x-spean-pii": "quasi"},
        {"type": "integer", "x-spean-pii": "quasi"},
    ],
    ids=["exact-date", "free-text", "exact-number"],
)
def test_a_quasi_identifier_that_is_not_coarse_is_caught(field: dict[str, str]) -> None:
    schema = {"type": "object", "properties": {"born": field}}
    assert pii_problems(schema) == ["$.born: a quasi-identifier must be coarse (a choice, a yes/no or a pattern)"]
