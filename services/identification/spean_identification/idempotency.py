"""Idempotency keys: a request sent again with its key is answered with the first answer and recorded
once; the same key with another request is refused. Keys are remembered for a published retention,
then forgotten: every keyed request leaves its answer (a bulk upload's, thousands of rows), and a client
repeats a request within minutes, not months (draft-ietf-httpapi-idempotency-key-header asks servers to
publish such an expiry)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import JSONResponse
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_identification.adapters.tables import IdempotentRequest
from spean_kit.auth import Principal
from spean_kit.database import hold_lock
from spean_kit.errors import Problem
from spean_kit.service import Runtime
from spean_kit.workers import Job

# Tells a client that sent a request again that nothing new was recorded: this is the first answer.
REPLAYED = "Idempotent-Replayed"
IDEMPOTENCY_LOCK_NAMESPACE = 0x1DE7
REPLAY_HEADER = {
    REPLAYED: {
        "description": "`true` on the first answer given again to a repeated request.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def fingerprint_of(request: Request, body: bytes) -> str:
    """What a key's request is recognised by: its path and its body."""
    return hashlib.sha256(request.url.path.encode() + b"\n" + body).hexdigest()


async def answered(
    session: AsyncSession, principal: Principal, key: str | None, fingerprint: str
) -> JSONResponse | None:
    """The answer given earlier to this agency's request with `key`, if any. A key that came with another
    request is refused rather than answered: a client reusing a key by mistake would otherwise be told
    its new screenings were recorded when they were not."""
    if not key:
        return None
    agency = principal.agency or ""
    # A repeat sent while the first request is still being recorded (its client timed out) waits for it,
    # then finds its answer, instead of recording the same screenings again and failing on the key.
    await hold_lock(session, IDEMPOTENCY_LOCK_NAMESPACE, f"{agency}/{key}")
    earlier = await session.get(IdempotentRequest, (key, agency))
    if earlier is None:
        return None
    # Keys kept before requests were fingerprinted have none, and are answered as they always were.
    if earlier.fingerprint not in (None, fingerprint):
        raise Problem(
            422,
            "Idempotency key reused",
            "this Idempotency-Key came with a different request; send a new request with a new key",
            kind="idempotency-key-reused",
            errors=[{"path": "header.Idempotency-Key", "rule": "idempotency_key_reused", "message": "already used"}],
        )
    return JSONResponse(earlier.body, status_code=earlier.status, headers={REPLAYED: "true"})


def remember(
    session: AsyncSession, principal: Principal, key: str | None, fingerprint: str, status: int, answer: Any
) -> None:
    """Kept in the transaction of what it answers: a retry finds both or neither."""
    if key:
        agency = principal.agency or ""
        remembered = IdempotentRequest(
            key=key, agency=agency, status=status, body=answer, fingerprint=fingerprint, recorded_at=datetime.now(UTC)
        )
        session.add(remembered)


def forgetting(days: int) -> Job:
    """The periodic job that deletes the answers remembered longer than `days`."""

    async def forget_idempotency_keys(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
        expired = col(IdempotentRequest.recorded_at) < now - timedelta(days=days)
        deleted = await session.exec(sa.delete(IdempotentRequest).where(expired))
        return int(deleted.rowcount)

    return forget_idempotency_keys
