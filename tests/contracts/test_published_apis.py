"""What a ministry system or a foreign team builds its client against stays true: each OpenAPI document
in `contracts/` is the one its service serves, and it describes the errors as the services answer them."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from tests.support.published import CONTRACTS, PUBLISHED, document, text


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
