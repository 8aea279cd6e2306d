"""Every answer a service gives in a test is held to its OpenAPI document (the one it serves, or the
cross-border listener's published one): the status is one the operation lists (or, for an error, its
`default`), and the body has the listed shape. A client generated from `contracts/` then reads whatever
the tests saw."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from jsonschema import Draft202012Validator


@dataclass(frozen=True)
class Operation:
    pattern: re.Pattern[str]
    method: str
    responses: dict[str, Any]


class Conformance:
    """An httpx response hook for a client of the API that `document` describes."""

    def __init__(self, document: Callable[[], dict[str, Any]]) -> None:
        self.document = document
        self._operations: list[Operation] | None = None
        self._components: dict[str, Any] = {}
        self._validators: dict[str, Draft202012Validator] = {}

    def operations(self) -> list[Operation]:
        # Built at the first answer: an app's routes are all in by then.
        if self._operations is None:
            document = self.document()
            self._components = document.get("components", {})
            self._operations = [
                Operation(
                    re.compile("^" + re.sub(r"{\w+}", "[^/]+", path) + "$"), method.upper(), operation["responses"]
                )
                for path, operations in document["paths"].items()
                for method, operation in operations.items()
            ]
        return self._operations

    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        key = repr(schema)
        if key not in self._validators:
            self._validators[key] = Draft202012Validator({**schema, "components": self._components})
        return self._validators[key]

    async def __call__(self, response: httpx.Response) -> None:
        request = response.request
        path = request.url.path
        operation = next((o for o in self.operations() if o.method == request.method and o.pattern.match(path)), None)
        if operation is None:  # not an operation of the API (a wrong path, /docs): nothing promised
            return
        status = str(response.status_code)
        where = f"{request.method} {path} answered {status}"
        described = operation.responses.get(status)
        if described is None and response.status_code >= 400:
            described = operation.responses.get("default")
        assert described is not None, f"{where}, which its OpenAPI document does not list"
        content = described.get("content")
        if not content or response.status_code == 204:
            return
        await response.aread()
        media_type = response.headers.get("content-type", "").split(";")[0]
        assert media_type in content, f"{where} as {media_type}, documented as {sorted(content)}"
        schema = content[media_type].get("schema")
        if schema and media_type.endswith("json"):
            errors = sorted(self._validator(schema).iter_errors(response.json()), key=str)
            assert not errors, f"{where} a body its OpenAPI document does not describe: {errors[0].message}"
