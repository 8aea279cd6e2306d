"""RFC 9457 problem+json for every error, in one shape across all services.

Validation errors list each field path and the rule broken, never the value sent (it may be personal
data). Unexpected errors answer a bare 500 with the trace id an operator can look up: no stack trace;
while the database cannot be reached, a 503 with Retry-After, since the caller did nothing wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spean_contracts import ContractViolation
from spean_contracts.fields import purpose_stated
from spean_contracts.registry import CATALOGUE
from spean_kit.database import unreachable
from spean_kit.telemetry import current_trace_ids

MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "urn:kh:spean:problem:"
log = logging.getLogger(__name__)
HTTP_TITLES = {404: "Not found", 405: "Method not allowed", 413: "Content too large"}
RETRY_AFTER_SECONDS = 5
EVENT_MODELS = frozenset(spec.model.__name__ for spec in CATALOGUE)
UNREADABLE_BODY = {"path": "body", "rule": "body_unreadable", "message": "the body could not be parsed as JSON"}
# A read of what the audit trail guards states why, in more than a word or two: the trail keeps the purpose.
PURPOSE_REQUIRED = {
    "path": "query.purpose",
    "rule": "purpose_required",
    "message": "says why, in at least five characters",
}


def stated_purpose(purpose: str) -> str:
    """A field validator: a purpose the audit trail can hold its reader to, or rule `purpose_required`. Spaces
    alone say nothing."""
    if not purpose_stated(purpose):
        raise PydanticCustomError(PURPOSE_REQUIRED["rule"], PURPOSE_REQUIRED["message"])
    return purpose


class Problem(Exception):
    """An error a handler raises on purpose; becomes a problem+json answer."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        kind: str | None = None,
        errors: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind or title.lower().replace(" ", "-")
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + problem.kind,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.url.path,
        **problem.extra,
    }
    if problem.errors:
        body["errors"] = problem.errors
    ids = current_trace_ids()
    if ids:
        body["trace_id"] = ids[0]
    return JSONResponse(body, status_code=problem.status, media_type=MEDIA_TYPE, headers=problem.headers)


def field_path(location: Sequence[int | str]) -> str:
    """('body', 'rows', 3, 'birth_date') -> 'body.rows[3].birth_date'."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> Problem:
    listed = [{"path": field_path(e["loc"]), "rule": str(e["type"]), "message": str(e["msg"])} for e in errors]
    return Problem(422, "Invalid request", f"{len(listed)} field(s) break the rules", kind="validation", errors=listed)


def invalid_field(path: str, rule: str, message: str, *, detail: str | None = None) -> Problem:
    """A rule a handler checks beyond the request's schema, answered as schema violations are: 422 with
    the field's path and the rule broken."""
    errors = [{"path": path, "rule": rule, "message": message}]
    return Problem(422, "Invalid request", detail or "1 field(s) break the rules", kind="validation", errors=errors)


def purpose_required(detail: str) -> Problem:
    """A read without a purpose the audit trail can hold its reader to: 422 at `query.purpose`, as the
    services whose purpose is checked by its parameter's validator (`stated_purpose`) answer it."""
    return invalid_field(PURPOSE_REQUIRED["path"], PURPOSE_REQUIRED["rule"], PURPOSE_REQUIRED["message"], detail=detail)


def allowed_methods(request: Request) -> list[str]:
    """Every method the routes on the request's path take."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def unavailable(detail: str) -> Problem:
    """503 for what the service needs and cannot reach for now: the caller did nothing wrong, and should send
    the same request again after `Retry-After` seconds."""
    return Problem(503, "Unavailable", detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def contract_problem(errors: Sequence[Mapping[str, str]]) -> Problem:
    detail = "the resulting event would break its contract"
    return Problem(422, "Invalid request", detail, kind="contract", errors=errors)


async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
    if unreachable(error):
        # The caller did nothing wrong and nothing was written: the transaction never committed.
        log.warning("database unreachable", extra={"path": request.url.path, "error": type(error).__name__})
        problem = unavailable("the service's database cannot be reached; nothing was recorded, send again shortly")
        return problem_response(request, problem)
    log.exception("unexpected error", extra={"path": request.url.path})
    problem = Problem(500, "Internal error", "an unexpected error occurred; operators can trace it by trace_id")
    return problem_response(request, problem)


class AnswerUnexpected:
    """Answers an unexpected error (500, or 503 while the database is away) and ends there. Starlette's
    outermost layer answers it too, but then raises it on to the server, and a TLS server (the
    cross-border listener) closes the connection before the answer reaches the client, who sees the
    connection drop instead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started:
                raise
            response = await on_unexpected(Request(scope), error)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Problem)
        return problem_response(request, error)

    async def on_validation(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return problem_response(request, validation_problem(error.errors()))

    async def on_contract(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ContractViolation)
        listed = [{"path": v.path, "rule": v.rule, "message": v.message} for v in error.violations]
        return problem_response(request, contract_problem(listed))

    async def on_model(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ValidationError)
        if error.title not in EVENT_MODELS:
            return await on_unexpected(request, error)
        # The request passed the API's rules but not those of the event it causes: the API's rules are too
        # loose, which its developers must hear of; the caller hears which of the event's fields broke.
        listed = [
            {"path": field_path(("event", *e["loc"])), "rule": e["type"], "message": e["msg"]} for e in error.errors()
        ]
        log.warning(
            "refused by an event's contract", extra={"event": error.title, "fields": [e["path"] for e in listed]}
        )
        return problem_response(request, contract_problem(listed))

    async def on_http(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 400:
            # FastAPI's only 400: a body its parser could not read (JSON nested thousands deep).
            problem = Problem(400, "Bad request", str(error.detail), kind="bad-body", errors=[UNREADABLE_BODY])
            return problem_response(request, problem)
        title = HTTP_TITLES.get(error.status_code, "HTTP error")
        headers = error.headers
        if error.status_code == 405:
            # Starlette names only the methods of the first route on the path; a resource's GET and POST
            # are two routes, and a client told `Allow: POST` would never try the GET.
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        problem = Problem(error.status_code, title, str(error.detail), headers=headers)
        return problem_response(request, problem)

    async def on_conflict(request: Request, error: Exception) -> JSONResponse:
        # The database's message names the values in conflict, which may be personal data: not echoed.
        problem = Problem(409, "Conflict", "the request conflicts with the current state of the resource")
        return problem_response(request, problem)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(ContractViolation, on_contract)
    app.add_exception_handler(ValidationError, on_model)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(IntegrityError, on_conflict)
    app.add_exception_handler(Exception, on_unexpected)
    app.add_middleware(AnswerUnexpected)
