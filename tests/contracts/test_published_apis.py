"""What a ministry system or a foreign team builds its client against stays true: each OpenAPI document
in `contracts/` is the one its service serves, it describes the errors as the services answer them, and a
release that would break a client of the document published before is refused."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from spean_contracts.compatibility import breaking_api_changes
from tests.support.published import CONTRACTS, PUBLISHED, document, release, text

Document = dict[str, Any]
REGISTRY: Document = json.loads((CONTRACTS / "openapi/registry.json").read_text())


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_the_published_document_is_the_services_own(name: str) -> None:
    served = document(name)

    assert (CONTRACTS / name).read_text() == text(served), f"contracts/{name} is stale: run make contracts-release"
    validate(json.loads(text(served)))


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_every_error_is_described_as_problem_json(name: str) -> None:
    served = document(name)

    assert {"HTTPValidationError", "ValidationError"}.isdisjoint(served["components"]["schemas"])
    # A generated client names its methods after the operation ids: one name each, without the path in it.
    ids = [operation["operationId"] for operations in served["paths"].values() for operation in operations.values()]
    assert len(set(ids)) == len(ids), ids
    assert not [i for i in ids if i.endswith(("_get", "_post", "_put", "_delete"))], ids
    for path, operations in served["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] == "4" or status == "default":
                    assert list(response.get("content", {})) == ["application/problem+json"], (method, path, status)
            assert "422" in operation["responses"], (method, path)
            # A route that names its own rules still says that the kit's hold on it too.
            assert "`string_nul_character`" in operation["responses"]["422"]["description"], (method, path)
            if operation.get("security"):
                assert {"401", "403"} <= set(operation["responses"]), (method, path)


def _schema(doc: Document, name: str) -> Document:
    found: Document = doc["components"]["schemas"][name]
    return found


def _operation(doc: Document, method: str, path: str) -> Document:
    found: Document = doc["paths"][path][method]
    return found


def _without_operation(doc: Document) -> None:
    del doc["paths"]["/records/{national_record_id}/timeline"]


def _with_required_parameter(doc: Document) -> None:
    parameter = {"name": "region", "in": "query", "required": True, "schema": {"type": "string"}}
    _operation(doc, "get", "/statistics")["parameters"].append(parameter)


def _without_answered_field(doc: Document) -> None:
    del _schema(doc, "Timeline")["properties"]["national_record_id"]


def _with_field_answered_at_times(doc: Document) -> None:
    _schema(doc, "Timeline")["required"].remove("national_record_id")


def _with_answered_field_widened(doc: Document) -> None:
    _schema(doc, "Timeline")["properties"]["national_record_id"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}


def _with_required_body_field(doc: Document) -> None:
    _schema(doc, "MergeIn")["properties"]["witness"] = {"type": "string"}
    _schema(doc, "MergeIn")["required"].append("witness")


def _with_narrowed_parameter(doc: Document) -> None:
    _schema(doc, "Measure")["enum"].remove("screened")


def _with_shorter_reason(doc: Document) -> None:
    _schema(doc, "MergeIn")["properties"]["reason"]["maxLength"] = 1000


def _with_other_case_ids(doc: Document) -> None:
    _schema(doc, "MergeIn")["properties"]["case_ids"]["items"]["pattern"] = "^case-[0-9a-f]{32}$"


def _with_other_status(doc: Document) -> None:
    responses = _operation(doc, "post", "/court-outcomes")["responses"]
    responses["200"] = responses.pop("201")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_without_operation, "GET /records/{national_record_id}/timeline: operation removed"),
        (_with_required_parameter, "GET /statistics query.region: new required parameter"),
        (_without_answered_field, "GET /cases/{case_id}/timeline 200.national_record_id: field removed"),
        (_with_field_answered_at_times, "GET /cases/{case_id}/timeline 200.national_record_id: no longer always given"),
        (
            _with_answered_field_widened,
            "GET /cases/{case_id}/timeline 200.national_record_id: type changed from ['string'] to ['null', 'string']",
        ),
        (_with_required_body_field, "POST /records/merge body.witness: new required field"),
        (_with_narrowed_parameter, "GET /statistics query.measure: enum narrowed (no longer allows screened)"),
        (_with_shorter_reason, "POST /records/merge body.reason: maxLength narrowed from 2000 to 1000"),
        (
            _with_other_case_ids,
            "POST /records/merge body.case_ids[]: pattern changed from ^[A-Za-z0-9][A-Za-z0-9-]{7,63}$ to"
            " ^case-[0-9a-f]{32}$",
        ),
        (_with_other_status, "POST /court-outcomes 201: answer removed"),
    ],
)
def test_each_change_that_breaks_a_client_is_named(change: Callable[[Document], None], expected: str) -> None:
    changed = copy.deepcopy(REGISTRY)
    change(changed)

    assert breaking_api_changes(REGISTRY, changed) == [expected]


def test_what_a_client_ignores_or_need_not_send_breaks_nothing() -> None:
    changed = copy.deepcopy(REGISTRY)
    changed["paths"]["/records/{national_record_id}/notes"] = {
        "get": copy.deepcopy(REGISTRY["paths"]["/records"]["get"])
    }
    _schema(changed, "Timeline")["properties"]["closed"] = {"type": "boolean"}
    _schema(changed, "Timeline")["required"].append("closed")
    _schema(changed, "MergeIn")["properties"]["witness"] = {"type": "string"}
    _schema(changed, "MergeIn")["properties"]["reason"]["maxLength"] = 4000
    _schema(changed, "MergeIn")["properties"]["case_ids"]["minItems"] = 1
    _schema(changed, "StatisticsCell")["properties"]["count"] = {"type": "integer"}
    _schema(changed, "Measure")["enum"].append("sheltered")
    optional = {"name": "region", "in": "query", "required": False, "schema": {"type": "string"}}
    _operation(changed, "get", "/statistics")["parameters"].append(optional)

    assert breaking_api_changes(REGISTRY, changed) == []


def test_a_release_that_breaks_a_client_writes_nothing_unless_the_break_is_agreed(tmp_path: Path) -> None:
    for name in PUBLISHED:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        shutil.copy(CONTRACTS / name, tmp_path / name)
    published = copy.deepcopy(REGISTRY)
    published["paths"]["/records/{national_record_id}/notes"] = {
        "get": copy.deepcopy(REGISTRY["paths"]["/records"]["get"])
    }
    (tmp_path / "openapi/registry.json").write_text(text(published))
    (tmp_path / "openapi/referral.json").write_text("{}\n")
    before = {name: (tmp_path / name).read_text() for name in PUBLISHED}

    refused = release(tmp_path)
    unchanged = {name: (tmp_path / name).read_text() for name in PUBLISHED}
    agreed = release(tmp_path, breaking=True)

    assert refused == ["contracts/openapi/registry.json: GET /records/{national_record_id}/notes: operation removed"]
    assert unchanged == before
    assert agreed == refused
    assert {name: (tmp_path / name).read_text() for name in PUBLISHED} == {
        name: (CONTRACTS / name).read_text() for name in PUBLISHED
    }
