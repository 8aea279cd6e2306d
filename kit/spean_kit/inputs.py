"""Input no service can keep, refused at the door with the field it came in: text PostgreSQL cannot
store (the NUL character) or UTF-8 cannot encode (an unpaired surrogate, which JSON's `\\u` escapes
carry), and bodies larger than a service takes. Let in, each failed deep in a handler: a 500 (the
database refused the text, or the answer could not be encoded), or the whole body held in memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Request
from pydantic import StringConstraints
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spean_kit.errors import HTTP_TITLES, Problem, problem_response, validation_problem

Stripped = Annotated[str, StringConstraints(strip_whitespace=True)]
"""Free text a person writes to account for an act (a consent override, a merge, an erasure): the spaces around
it are dropped before its minimum length is counted, since spaces alone say nothing an auditor could hold its
writer to."""

UNKEEPABLE = re.compile("[\x00\ud800-\udfff]")
# How such text arrives in a body: escaped in JSON (a raw NUL makes the JSON invalid), or raw in CSV.
ESCAPED = re.compile(rb"\x00|\\u(?:0000|[dD][89a-fA-F])")
RULES = {
    "nul": ("string_nul_character", "text may not contain the NUL character (U+0000)"),
    "surrogate": ("string_unpaired_surrogate", "text may not contain an unpaired surrogate (U+D800 to U+DFFF)"),
}


def broken_rule(text: str) -> tuple[str, str] | None:
    """The rule `text` breaks (its name and message), if any."""
    found = UNKEEPABLE.search(text)
    if found is None:
        return None
    return RULES["nul" if found.group() == "\x00" else "surrogate"]


def _error(location: tuple[int | str, ...], rule: tuple[str, str]) -> dict[str, Any]:
    return {"loc": location, "type": rule[0], "msg": rule[1]}


def _errors(value: Any, location: tuple[int | str, ...]) -> Iterator[dict[str, Any]]:
    if isinstance(value, str):
        rule = broken_rule(value)
        if rule is not None:
            yield _error(location, rule)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _errors(key, (*location, key))
            yield from _errors(item, (*location, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _errors(item, (*location, index))


async def refuse_unkeepable_text(request: Request) -> None:
    """An app-wide dependency: 422 with each field's path (`path.case_id`, `query.purpose`,
    `body.person.names[0]`, or `body` for a body that is not JSON) when text breaks a rule above."""
    errors = [error for name, value in request.path_params.items() for error in _errors(value, ("path", name))]
    errors += [error for name, value in request.query_params.multi_items() for error in _errors(value, ("query", name))]
    if request.method in ("POST", "PUT", "PATCH") and holds_text(request.headers.get("content-type", "")):
        raw = await request.body()
        if ESCAPED.search(raw):  # rare: most bodies are not parsed a second time
            try:
                errors += _errors(json.loads(raw), ("body",))
            except (ValueError, RecursionError):
                if b"\x00" in raw:  # CSV, say: the body as a whole
                    errors.append(_error(("body",), RULES["nul"]))
    if errors:
        raise validation_problem(errors)


def holds_text(content_type: str) -> bool:
    """Whether a body of `content_type` may hold text: anything but bytes declared as such (an image, an
    octet stream), in which a NUL byte is as common as any other."""
    media = content_type.split(";")[0].strip().lower()
    return not media.startswith(("image/", "application/octet-stream"))


class BodyLimit:
    """Bodies over `max_bytes` answered 413: at once when the declared length says so, else as soon as
    the bytes read pass it, rather than after holding them all. FastAPI's own `max_body_size` answers
    in plain text when a route answers before reading the body (a 401, say), not in problem+json."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.detail = f"the body is larger than the {max_bytes} bytes this service takes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            problem = Problem(413, HTTP_TITLES[413], self.detail)
            await problem_response(Request(scope), problem)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # An HTTPException, which FastAPI lets through from reading a body (other errors it
                # answers 400): the kit's handler makes it problem+json.
                raise HTTPException(413, self.detail)
            return message

        await self.app(scope, limited, send)
