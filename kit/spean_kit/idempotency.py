"""Where an Idempotency-Key is held: a request's key is claimed in the transaction of what the request
records, so that a retry finds both or neither (`spean_kit.retries` answers the retry).

The claim is the last statement before the commit of the first transaction a keyed request commits:
the handler never sees it. Two requests with one key that run at once both do their work, and the
second's claim waits on the first's row and then finds it taken: its transaction rolls back, and its
caller is given the first's answer instead."""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_kit.errors import Problem
from spean_kit.tables import idempotent_request
from spean_kit.workers import Job

MAX_KEY_LENGTH = 200
KEY_IN_USE = "idempotency-key-in-use"


@dataclass
class Slot:
    """A keyed request's claim on its key, while the request runs."""

    key: str
    agency: str
    subject: str
    fingerprint: str
    claimed: bool = False
    kept: bool = True


KEYED: ContextVar[Slot | None] = ContextVar("spean_keyed_request", default=None)


@dataclass(frozen=True)
class Earlier:
    """What an earlier request with the key left: its fingerprint and, once given, its answer."""

    fingerprint: str | None
    subject: str | None
    status: int | None
    media_type: str | None
    body: bytes | None


class KeyTaken(Problem):
    """Raised at the commit of a request whose twin (the same key) committed first: nothing of it is kept."""

    def __init__(self) -> None:
        super().__init__(
            409,
            "Conflict",
            "a request with this Idempotency-Key was recorded while this one ran; send it again for its answer",
            kind=KEY_IN_USE,
        )


def fingerprint_of(path: str, query: str, body: bytes) -> str:
    """What a key's request is recognised by: its address and its body."""
    address = path + (f"?{query}" if query else "")
    return hashlib.sha256(address.encode() + b"\n" + body).hexdigest()


class ClaimingSession(Session):
    """The kit's sessions: each claims the key of the keyed request it commits for."""


@event.listens_for(ClaimingSession, "before_commit")
def _claim(session: Session) -> None:
    slot = KEYED.get()
    if slot is None or slot.claimed:
        return
    claim = (
        insert(idempotent_request)
        .values(key=slot.key, agency=slot.agency, subject=slot.subject, fingerprint=slot.fingerprint)
        .on_conflict_do_nothing()
        .returning(idempotent_request.c.key)
    )
    if session.connection().execute(claim).first() is None:
        raise KeyTaken()
    slot.claimed = True


def shown_once() -> None:
    """A route dependency for an answer that must not be stored (a letter's code, kept only as a digest):
    the request is still recorded once, and a retry is told its answer is not kept."""
    slot = KEYED.get()
    if slot is not None:
        slot.kept = False


async def earlier(session: AsyncSession, key: str, agency: str) -> Earlier | None:
    columns = idempotent_request.c
    wanted = (columns.fingerprint, columns.subject, columns.status, columns.media_type, columns.body)
    connection = await session.connection()
    found = await connection.execute(sa.select(*wanted).where(columns.key == key, columns.agency == agency))
    row = found.first()
    return None if row is None else Earlier(*row)


async def keep(session: AsyncSession, slot: Slot, status: int, media_type: str | None, body: bytes) -> None:
    columns = idempotent_request.c
    await session.exec(
        sa.update(idempotent_request)
        .where(columns.key == slot.key, columns.agency == slot.agency)
        .values(status=status, media_type=media_type, body=body if slot.kept else None)
    )


def forgetting(days: int) -> Job:
    """The periodic job deleting keys older than `days`: a client repeats a request within minutes, not
    months, and every key holds its answer (a bulk upload's, thousands of rows)."""

    async def forget_idempotency_keys(session: AsyncSession, runtime: object, now: datetime) -> int:
        expired = idempotent_request.c.recorded_at < now - timedelta(days=days)
        deleted = await session.exec(sa.delete(idempotent_request).where(expired))
        return int(deleted.rowcount)

    return forget_idempotency_keys
