"""The OpenAPI document a service serves tells its errors as they are answered: RFC 9457 problem+json.

FastAPI describes a 422 as its own `HTTPValidationError` (`{"detail": [...]}`) in `application/json`,
which no Spean service ever answers; a ministry generating a client from that document would parse
every refusal wrongly. The kit answers every error through `spean_kit.errors`, so the kit also says so:
each operation lists the refusals the kit itself gives (422 for a field, 401 and 403 where a token is
needed, 413 where a body is taken) and every other error as the same problem shape. Operations are
named after their handlers, which is what a generated client calls its methods.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from spean_kit.errors import MEDIA_TYPE, PROBLEM_BASE
from spean_kit.idempotency import KEY_IN_USE, MAX_KEY_LENGTH
from spean_kit.retries import HEADER, REPLAYED

FIELD_ERROR: dict[str, Any] = {
    "type": "object",
    "title": "FieldError",
    "description": "One field that breaks one rule. The value sent is never echoed: it may be personal data.",
    "required": ["path", "rule", "message"],
    "properties": {
        "path": {
            "type": "string",
            "description": "Where the field is: `body.person.names[0]`, `body[3].encountered_at`, "
            "`query.purpose`, `path.case_id`.",
        },
        "rule": {
            "type": "string",
            "description": "The rule broken, stable for a program to act on: `missing`, `string_too_long`, "
            "`enum`, `datetime_range`, `string_nul_character`, ...",
        },
        "message": {"type": "string", "description": "The rule in English, for a person."},
    },
}

PROBLEM: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details, the one shape of every error of every Spean service. "
    "Some problems add members of their own (`current`, the state a conflict met; `reference` or "
    "`referral_id`, what a repeated request had already started; `reason` and `signed` at the cross-border "
    "listener).",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "description": f"`{PROBLEM_BASE}<kind>`, e.g. `{PROBLEM_BASE}validation`."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The path that was called."},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
        "trace_id": {
            "type": "string",
            "description": "The request's trace, for operators to look up (never a stack trace).",
        },
    },
}

FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")


def problem_described(description: str) -> dict[str, Any]:
    return {"description": description, "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


KIT_REFUSALS = {
    "422": "A field breaks a rule: `errors` names each field's path and rule. Besides the rules of the schema, "
    "text anywhere (path, query, body) may not hold the NUL character (`string_nul_character`) or an unpaired "
    "surrogate (`string_unpaired_surrogate`).",
    "401": "No bearer token, or one that is expired, not yet valid, of another issuer or audience, or badly signed.",
    "403": "The token's agency or roles do not allow this.",
    "413": "The body is larger than the service takes (16 MiB unless configured otherwise).",
    "503": "The service cannot reach its database (or the identity provider's keys, having none yet): nothing "
    "was recorded; send again after `Retry-After` seconds.",
}


# Named from what `spean_kit.retries` checks, so that the document cannot drift from it.
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the same request sent again with the same key within 30 days (by default) "
    f"is recorded once and given the first answer again (`{REPLAYED}: true`). A key sent with another "
    "request, or by another caller, is refused (422 `idempotency_key_reused`). A request that recorded nothing "
    "(refused) leaves its key free.",
    "schema": {"anyOf": [{"type": "string", "maxLength": MAX_KEY_LENGTH}, {"type": "null"}], "title": HEADER},
}
REPLAYED_HEADER = {
    "description": "`true` on the first answer given again to a repeated request.",
    "schema": {"type": "string", "enum": ["true"]},
}
KEY_IN_USE_DESCRIBED = (
    f"`{KEY_IN_USE}`: a request with this {HEADER} was recorded and its answer is not known yet; "
    "send it again after `Retry-After` seconds."
)


def take_idempotency_key(operation: dict[str, Any]) -> None:
    """An authenticated POST takes an Idempotency-Key (`spean_kit.retries`): said in its parameters, its
    answers' headers and its 409."""
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    if not any(parameter.get("name") == IDEMPOTENCY_KEY["name"] for parameter in parameters):
        parameters.append(IDEMPOTENCY_KEY)
    responses: dict[str, Any] = operation["responses"]
    for status, response in responses.items():
        if status.startswith("2"):
            response.setdefault("headers", {})[REPLAYED] = REPLAYED_HEADER
    conflict = responses.get("409", {}).get("description")
    described = f"{conflict.rstrip('.')}. Or {KEY_IN_USE_DESCRIBED}" if conflict else KEY_IN_USE_DESCRIBED
    responses["409"] = problem_described(described)


def describe_problems(document: dict[str, Any], *, keyed: bool = False) -> dict[str, Any]:
    """`document` with every operation's errors described as problem+json (changed in place); where `keyed`,
    its authenticated POSTs take an Idempotency-Key."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_ERROR_SCHEMAS:
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM
    schemas["FieldError"] = FIELD_ERROR
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if keyed and method == "post" and operation.get("security"):
                take_idempotency_key(operation)
            # Every operation can answer 422: a path or query value no database keeps is refused everywhere.
            refusals = ["422"]
            security = operation.get("security", [])
            if security:
                refusals += ["401", "403"]
            if "requestBody" in operation:
                refusals.append("413")
            if security or "requestBody" in operation:
                # What a caller reads or writes is in the database; the health checks answer for themselves.
                refusals.append("503")
            for status in refusals:
                described = responses.get(status, {}).get("description")
                # A route's own words for a refusal (the listener's 422) are kept, after the kit's rules for a
                # field, which hold on that route too.
                if not described or described == "Validation Error":
                    described = KIT_REFUSALS[status]
                elif status == "422":
                    described = f"{KIT_REFUSALS[status]} {described}"
                responses[status] = problem_described(described)
            roles = sorted({role for requirement in security for needed in requirement.values() for role in needed})
            if roles:
                responses["403"]["description"] = (
                    f"The token holds none of the roles {', '.join(roles)}, or its agency may not act on this record."
                )
            for status, response in responses.items():
                if status[0] in "45" and "content" not in response:
                    responses[status] = problem_described(response["description"])
            responses.setdefault("default", problem_described("Any other error, in the same shape."))
    return document


def operation_id(route: APIRoute) -> str:
    """The handler's name (`record_screening`): what a generated client calls the method. FastAPI's own
    appends the path and method (`record_screening_screenings_post`)."""
    return route.name


class ServiceAPI(FastAPI):
    """A FastAPI app whose OpenAPI document describes its errors as the kit answers them, and names each
    operation after its handler."""

    _described: dict[str, Any] | None = None

    def __init__(self, *, keyed: bool = False, **settings: Any) -> None:
        """`keyed`: its POSTs are answered through `spean_kit.retries`, and take an Idempotency-Key."""
        super().__init__(**{"generate_unique_id_function": operation_id, **settings})
        self.keyed = keyed

    def openapi(self) -> dict[str, Any]:
        document = super().openapi()
        # FastAPI builds the document again when routes were added since; each build is described once.
        if document is not self._described:
            self._described = describe_problems(document, keyed=self.keyed)
        return document
