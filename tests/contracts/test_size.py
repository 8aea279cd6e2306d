"""No valid event is too large for Kafka: an event Kafka refuses would hold back its service's outbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from spean_contracts import CATALOGUE, EventSpec
from spean_contracts.schemas import released, released_versions
from spean_contracts.size import LARGEST_EVENT, largest_json, longest_match, size_problems

CASE_ID = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9-]{7,63}$"}


def _object(**properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties, "required": list(properties)}


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda spec: spec.name)
def test_every_released_event_is_bounded_and_fits_kafka(spec: EventSpec) -> None:
    for version in released_versions(spec.name):
        assert size_problems(released(spec.name, version)) == []


def test_the_bound_holds_for_the_largest_instance_of_a_schema() -> None:
    schema = _object(
        case_id=CASE_ID,
        stage={"type": "string", "pattern": "^(screening|determination|co-signature)$"},
        notes={"type": "array", "maxItems": 3, "items": {"type": "string", "maxLength": 5}},
        count={"type": "integer"},
    )
    largest = {"case_id": "c" * 64, "stage": "co-signature", "notes": ["\x00" * 5] * 3, "count": -(2**63)}
    assert list(Draft202012Validator(schema).iter_errors(largest)) == []
    assert len(json.dumps(largest, separators=(",", ":"))) <= largest_json(schema)


@pytest.mark.parametrize(
    ("pattern", "longest"),
    [
        ("^[A-Za-z0-9][A-Za-z0-9-]{7,63}$", 64),
        ("^(screening|determination|co-signature)$", 13),
        ("^[A-Za-z0-9_-]{43}$", 43),
        ("^[A-Za-z0-9 .,/()-]{1,60}$", 60),
        ("^KH-(?:1|2[0-5])?$", 5),
        ("[a-z]{2}", None),
        ("^[a-z]+$", None),
        ("^[a-z]{2,}$", None),
    ],
)
def test_the_longest_match_of_a_pattern(pattern: str, longest: int | None) -> None:
    assert longest_match(pattern) == longest


def test_a_free_text_field_is_named() -> None:
    schema = _object(case_id=CASE_ID, story={"type": "string"})
    assert size_problems(schema) == ["$.story: unbounded (give it a maxLength, maxItems, enum or an anchored pattern)"]


def test_a_list_without_a_largest_count_is_named() -> None:
    schema = _object(charges={"type": "array", "items": {"$ref": "#/$defs/Charge"}})
    schema["$defs"] = {"Charge": _object(article={"type": "string", "maxLength": 60})}
    assert size_problems(schema) == [
        "$.charges: unbounded (give it a maxLength, maxItems, enum or an anchored pattern)"
    ]


def test_an_event_larger_than_kafka_takes_is_refused() -> None:
    schema = _object(readings={"type": "array", "maxItems": 100_000, "items": {"type": "number"}})
    assert largest_json(schema) > LARGEST_EVENT
    assert size_problems(schema) == [
        f"$: the largest valid event is {largest_json(schema)} bytes, over the {LARGEST_EVENT} allowed"
    ]
