"""Safe retries for every service: a POST sent again with its `Idempotency-Key` is recorded once and
given its first answer again (`Idempotent-Replayed: true`), as draft-ietf-httpapi-idempotency-key-header
describes. A ministry system whose answer was lost (a dropped connection, a timeout) cannot tell whether
its consent, offer or court outcome was recorded; with a key it sends the request again and learns.

A key is the agency's and its sender's. The same key with another request (another address or body) is
refused, 422 at `header.Idempotency-Key`, since answering it would tell the caller something was recorded
that was not; so is a colleague's key, whose answer their roles may not let them read. A request that
recorded nothing (refused, or failed before its commit) leaves no key: sent again, it is tried again."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import jwt
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spean_kit.auth import Principal, TokenVerifier
from spean_kit.errors import HTTP_TITLES, Problem, invalid_field, problem_response
from spean_kit.idempotency import KEY_IN_USE, KEYED, MAX_KEY_LENGTH, Earlier, Slot, earlier, fingerprint_of, keep
from spean_kit.inputs import broken_rule
from spean_kit.telemetry import Telemetry

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
# A twin request's answer is kept milliseconds after its commit; a retry arriving in between waits for it.
ANSWER_WAIT_SECONDS = 5.0
ANSWER_POLL_SECONDS = 0.05


@dataclass
class Answer:
    """The app's answer, held until it is known whether it is the one to give."""

    start: Message | None = None
    chunks: list[bytes] = field(default_factory=list)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    @property
    def status(self) -> int:
        return int(self.start["status"]) if self.start else 500

    @property
    def media_type(self) -> str | None:
        return Headers(raw=self.start["headers"]).get("content-type") if self.start else None

    async def give(self, send: Send) -> None:
        if self.start is not None:
            await send(self.start)
            await send({"type": "http.response.body", "body": b"".join(self.chunks)})


class SafeRetries:
    """The ASGI layer that answers a keyed POST's retries; `spean_kit.idempotency` claims its key."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = Headers(scope=scope).get(HEADER) if scope["type"] == "http" and scope["method"] == "POST" else None
        if not key:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        broken = broken_rule(key) or (
            ("string_too_long", f"String should have at most {MAX_KEY_LENGTH} characters")
            if len(key) > MAX_KEY_LENGTH
            else None
        )
        if broken is not None:  # a key the database could not keep, as any text
            await problem_response(request, invalid_field(f"header.{HEADER}", *broken))(scope, receive, send)
            return
        try:
            body = await _body(receive)
        except HTTPException as error:  # BodyLimit's: outside the app, so answered here
            too_large = Problem(error.status_code, HTTP_TITLES.get(error.status_code, "HTTP error"), str(error.detail))
            await problem_response(request, too_large)(scope, receive, send)
            return
        if body is None:  # the client left before its request was whole: no one to answer
            return
        caller = await _caller(request)
        if caller is None:  # no valid token: the app refuses it as it refuses any request
            await self.app(scope, _again(body, receive), send)
            return
        sessions: async_sessionmaker[AsyncSession] = scope["app"].state.runtime.sessions
        fingerprint = fingerprint_of(request.url.path, request.url.query, body)
        slot = Slot(key, caller.agency or "", caller.subject, fingerprint)
        found = await _earlier(sessions, slot)
        if found is not None:
            await _answer(found, slot, request)(scope, receive, send)
            return
        answer = Answer()
        held = KEYED.set(slot)
        try:
            await self.app(scope, _again(body, receive), answer.send)
        finally:
            KEYED.reset(held)
        if slot.claimed:
            try:
                async with sessions() as session, session.begin():
                    await keep(session, slot, answer.status, answer.media_type, b"".join(answer.chunks))
            except Exception as error:
                # What the request recorded stands; a retry is told its answer is not known.
                log.warning("answer of a keyed request not kept", extra={"error": type(error).__name__})
        else:
            # A twin sent at once may have recorded first: this request's refusal (its claim taken, or a
            # conflict with what the twin recorded) is not the answer, the twin's is.
            found = await _earlier(sessions, slot)
            if found is not None:
                await _answer(found, slot, request)(scope, receive, send)
                return
        await answer.give(send)


async def _body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _again(body: bytes, receive: Receive) -> Receive:
    """`receive` for the app: the body read once already, then whatever the client does next."""
    given = False

    async def receiving() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receiving


async def _caller(request: Request) -> Principal | None:
    """Whose key the request's is, if it carries a token this service accepts."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        principal = await verifier.verify(token.strip())
    except (Problem, jwt.PyJWTError):
        return None
    return principal


async def _earlier(sessions: async_sessionmaker[AsyncSession], slot: Slot) -> Earlier | None:
    """What an earlier request with the slot's key left; if it has no answer yet (still being given), waited
    for a few seconds."""
    waited = 0.0
    while True:
        async with sessions() as session:
            found = await earlier(session, slot.key, slot.agency)
        if found is None or found.status is not None or waited >= ANSWER_WAIT_SECONDS:
            return found
        await asyncio.sleep(ANSWER_POLL_SECONDS)
        waited += ANSWER_POLL_SECONDS


def _answer(found: Earlier, slot: Slot, request: Request) -> Response:
    """The answer to a request sent again under a key already used, counted by its kind."""
    response, outcome = _given_again(found, slot, request)
    telemetry: Telemetry = request.app.state.telemetry
    telemetry.requests_repeated.add(1, {"outcome": outcome})
    return response


def _given_again(found: Earlier, slot: Slot, request: Request) -> tuple[Response, str]:
    # Keys kept before requests were fingerprinted, or their senders kept, have none, and are answered as
    # they always were.
    if found.fingerprint not in (None, slot.fingerprint) or found.subject not in (None, slot.subject):
        refusal = Problem(
            422,
            "Idempotency key reused",
            f"this {HEADER} came with a different request, or from another caller; send a new request with a new key",
            kind="idempotency-key-reused",
            errors=[{"path": f"header.{HEADER}", "rule": "idempotency_key_reused", "message": "already used"}],
        )
        return problem_response(request, refusal), "key-reused"
    if found.status is None:
        pending = Problem(
            409,
            "Conflict",
            f"a request with this {HEADER} was recorded and its answer is not known yet: send it again shortly, "
            "or read what it recorded",
            kind=KEY_IN_USE,
            headers={"Retry-After": "1"},
        )
        return problem_response(request, pending), "answer-pending"
    if found.body is None:
        not_kept = Problem(
            409,
            "Conflict",
            f"a request with this {HEADER} was recorded; its answer is shown once and not kept",
            kind="answer-not-kept",
        )
        return problem_response(request, not_kept), "answer-not-kept"
    replayed = Response(found.body, status_code=found.status, media_type=found.media_type, headers={REPLAYED: "true"})
    return replayed, "replayed"
