"""The console's tables (schema `operations`): what it has seen pass on the case topics (case id, type,
trace: never personal data, which events do not carry), the operators' replays of dead letters, and
the console sessions signed in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, LargeBinary
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from spean_kit.audit import ChainedEntry


def _when(*, index: bool = False) -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=index))


class ObservedEvent(SQLModel, table=True):
    __tablename__ = "observed_event"
    event_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    type: str = Field(max_length=120)
    topic: str = Field(max_length=120)
    # When the event happened (its `ce_time`): the flow chart counts it in that minute, however late
    # the console sees it.
    at: datetime = _when(index=True)
    trace_id: str | None = Field(default=None, max_length=32)
    breach: dict[str, Any] | None = Field(
        default=None,
        sa_column=Column(JSONB(none_as_null=True), nullable=True),
        description="A deadline breach's data.",
    )


class Replay(ChainedEntry, table=True):
    """Who sent which dead letter back, when: an operator's action on case events is audited."""

    __tablename__ = "replay"
    at: datetime = _when()
    subject: str = Field(max_length=64)
    agency: str | None = Field(default=None, max_length=40)
    dlq: str = Field(max_length=200)
    partition: int
    offset: int
    event_id: str = Field(max_length=64)
    topic: str = Field(max_length=200)


class ConsoleSession(SQLModel, table=True):
    """A signed-in console session's standing at Keycloak: its refresh token (sealed), with which the
    console asks Keycloak again, every minute, whether the operator may still use it, and the roles
    Keycloak last gave. Without it, an operator disabled or signed out at Keycloak kept the console
    until the session's cookie expired (up to 8 hours). Signing out deletes it: the cookie, even a
    copy of it, then names a session the console no longer holds."""

    __tablename__ = "console_session"
    session_id: str = Field(primary_key=True, max_length=64)
    sealed_refresh_token: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    roles: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    checked_at: datetime = _when()
    expires_at: datetime = _when(index=True)
