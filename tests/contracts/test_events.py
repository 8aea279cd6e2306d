"""Models and released schemas agree, for every event and every example, through the Kafka binding."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest

from spean_contracts import (
    CATALOGUE,
    ContractViolation,
    EventSpec,
    from_kafka_record,
    source_of,
    spec_for_model,
    to_kafka_record,
)
from spean_contracts.events import CaseIdentified
from spean_contracts.schemas import validator


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda spec: spec.name)
def test_every_example_round_trips_through_model_schema_and_record(spec: EventSpec) -> None:
    assert spec.examples, "every event publishes at least one example"
    for example in spec.examples:
        assert list(validator(spec.name, spec.version).iter_errors(example)) == []
        data = spec.model.model_validate(example)
        assert data.model_dump(mode="json") == example

        record = to_kafka_record(
            data, source=source_of("test", "MOSVY"), traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01"
        )
        event = from_kafka_record(record.value, record.headers)

        assert record.topic == spec.topic.name
        assert record.key == data.case_id.encode()
        assert event.type == spec.ce_type
        assert event.subject == data.case_id
        assert event.data == data


def test_an_event_that_breaks_its_schema_is_never_built() -> None:
    example = next(spec for spec in CATALOGUE if spec.model is CaseIdentified).examples[0]
    # model_copy skips the model's own validation, as a buggy caller might; the schema still holds.
    broken = CaseIdentified.model_validate(example).model_copy(update={"exploitation_types": []})

    with pytest.raises(ContractViolation) as caught:
        to_kafka_record(broken, source=source_of("identification", "MOSVY"))

    assert [(v.path, v.rule) for v in caught.value.violations] == [("$.exploitation_types", "minItems")]


def _record_headers(**overrides: str) -> list[tuple[str, bytes]]:
    headers = {
        "ce_specversion": "1.0",
        "ce_id": "e-1",
        "ce_source": "/spean/identification/MOSVY",
        "ce_type": "kh.spean.case.identified.v1",
        "ce_time": datetime.now(UTC).isoformat(),
        "ce_subject": "case-7f3c9a1e5b2d4e8f",
    }
    headers.update(overrides)
    return [(name, value.encode()) for name, value in headers.items()]


def test_a_record_with_personal_data_added_is_refused_with_its_path() -> None:
    example = dict(next(spec for spec in CATALOGUE if spec.model is CaseIdentified).examples[0])
    example["full_name"] = "Sok Dara"

    with pytest.raises(ContractViolation) as caught:
        from_kafka_record(json.dumps(example).encode(), _record_headers())

    assert [(v.path, v.rule) for v in caught.value.violations] == [("$", "additionalProperties")]
    assert "full_name" in str(caught.value)
    assert "Sok Dara" not in str(caught.value)


def test_a_violation_never_echoes_the_offending_value() -> None:
    example = dict(next(spec for spec in CATALOGUE if spec.model is CaseIdentified).examples[0])
    example["province"] = "Sok Dara, Phum Thmei village"

    with pytest.raises(ContractViolation) as caught:
        from_kafka_record(json.dumps(example).encode(), _record_headers())

    assert [(v.path, v.rule) for v in caught.value.violations] == [("$.province", "enum")]
    assert "Sok Dara" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "headers", "rule"),
    [
        (b"{}", [("ce_type", b"kh.spean.case.identified.v1")], "required"),
        (b"{}", _record_headers(ce_type="kh.spean.case.unknown.v1"), "enum"),
        (b"not json", _record_headers(), "json"),
    ],
    ids=["missing-headers", "unknown-type", "not-json"],
)
def test_records_that_are_not_our_events_are_refused(value: bytes, headers: list[tuple[str, bytes]], rule: str) -> None:
    with pytest.raises(ContractViolation) as caught:
        from_kafka_record(value, headers)
    assert caught.value.violations[0].rule == rule


def test_a_subject_that_is_not_the_case_is_refused() -> None:
    example = next(spec for spec in CATALOGUE if spec.model is CaseIdentified).examples[0]
    with pytest.raises(ContractViolation) as caught:
        from_kafka_record(json.dumps(example).encode(), _record_headers(ce_subject="case-other-000"))
    assert caught.value.violations[0].path == "headers.ce_subject"


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda spec: spec.name)
def test_the_model_refuses_whatever_the_released_schema_refuses(spec: EventSpec) -> None:
    """Producing and consuming validate through the strict model (fast); this holds it to the schema."""
    example = spec.examples[0]
    wrong_values: list[object] = [{"an": "object"}, "not-a-valid-value", -1, None, ["a list"], True]
    for field in example:
        for wrong in wrong_values:
            mutated = {**example, field: wrong}
            schema_refuses = bool(list(validator(spec.name, spec.version).iter_errors(mutated)))
            try:
                spec.model.model_validate_json(json.dumps(mutated), strict=True)
                model_refuses = False
            except ValueError:
                model_refuses = True
            assert model_refuses == schema_refuses, f"{field}={wrong!r}"


def test_event_ids_are_version_7_uuids_that_grow_with_time() -> None:
    data = CaseIdentified.model_validate(spec_for_model(CaseIdentified).examples[0])
    earlier = dict(to_kafka_record(data, source=source_of("identification", "MOSVY")).headers)["ce_id"].decode()
    time.sleep(0.002)
    later = dict(to_kafka_record(data, source=source_of("identification", "MOSVY")).headers)["ce_id"].decode()

    for event_id in (earlier, later):
        parsed = uuid.UUID(event_id)
        assert (parsed.version, parsed.variant, str(parsed)) == (7, uuid.RFC_4122, event_id)
    assert earlier < later
