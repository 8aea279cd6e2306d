"""The repatriation service's tables (schema `repatriation`). Personal data and signed messages are
stored sealed (see sealing.py); the rest is what both countries may see in events."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, DateTime, LargeBinary, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from spean_kit.audit import ChainedEntry


def _when(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class Repatriation(SQLModel, table=True):
    """One person's return, known to both countries by `reference`."""

    __tablename__ = "repatriation"
    reference: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(max_length=64, index=True, description="This country's pseudonymous case id.")
    role: str = Field(max_length=1, description="D (found here) or O (returns here).")
    counterpart: str = Field(max_length=10)
    state: str = Field(max_length=30)
    is_child: bool
    sealed_person: bytes | None = Field(
        sa_column=Column(LargeBinary, nullable=True), description="NULL once erased: the return was withdrawn."
    )
    head_sequence: int = 0
    head_hash: str | None = Field(default=None, max_length=80)
    handover_id: str | None = Field(default=None, max_length=64)
    border_gate: str | None = Field(default=None, max_length=30)
    handover_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    consent_recorded_at: datetime | None = Field(
        default=None,
        sa_column=_when(nullable=True),
        description="When the consent the return request carried was given (destination side).",
    )
    verification_due_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))
    verification_breached: bool = False
    handover_breached: bool = Field(
        default=False, description="Whether the scheduled handover's day went by without minutes, told once."
    )
    handed_over_at: datetime | None = Field(
        default=None, sa_column=_when(nullable=True), description="When the minutes say the person crossed."
    )
    certificate_breached: bool = Field(
        default=False, description="Whether the handover's day went by without a return certificate, told once."
    )
    screened_on_arrival_at: datetime | None = Field(
        default=None,
        sa_column=_when(nullable=True),
        description="When the transit centre screened the returned person, if before the return certificate "
        "(origin side): the certificate then finds her already received.",
    )
    identity_changed_at: datetime | None = Field(
        default=None,
        sa_column=_when(nullable=True),
        description="When identification corrected the person's data, or assessed their age otherwise than the "
        "return request says, after the request was signed and before the handover, or when an assessment or "
        "correction it had made before shows a child sent as an adult (destination side): what the counterpart "
        "verifies may be wrong. Cleared by the identity correction sent for it, or a withdrawal.",
    )
    created_at: datetime = Field(sa_column=_when())
    updated_at: datetime = Field(sa_column=_when())


class CaseAge(SQLModel, table=True):
    """Identification's latest word on a case's age, from its events (as a screening, a correction or MoSVY's
    age assessment said it): a return request or correction sending as an adult a person it knows as a child
    is refused. One row per case identification screened since this table began."""

    __tablename__ = "case_age"
    case_id: str = Field(primary_key=True, max_length=64)
    is_child: bool
    age_band: str = Field(max_length=10)
    as_of: datetime = Field(sa_column=_when(), description="When the age was so: screened or assessed.")
    assessed: bool = Field(description="By MoSVY's age assessment, which a later screening does not overrule.")


class SopMessage(SQLModel, table=True):
    """Every message of the chain, sent or received, as signed (sealed at rest)."""

    __tablename__ = "sop_message"
    message_id: str = Field(primary_key=True, max_length=32)
    digest: str = Field(max_length=80, unique=True)
    direction: str = Field(max_length=3, description="in or out")
    counterpart: str = Field(max_length=10)
    kind: str = Field(max_length=30)
    sop_step: int
    sealed_jws: bytes | None = Field(
        sa_column=Column(LargeBinary, nullable=True),
        description="NULL once erased: a withdrawn return's request, which carried the person's data.",
    )
    sent_at: datetime = Field(sa_column=_when())
    stored_at: datetime = Field(sa_column=_when())


class ChainLink(SQLModel, table=True):
    """A message's place in one case's chain; (reference, sequence) is unique, so no step is doubled."""

    __tablename__ = "chain_link"
    __table_args__ = (UniqueConstraint("reference", "sequence", name="one_message_per_place"),)
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=64)
    sequence: int
    message_id: str = Field(max_length=32, foreign_key="sop_message.message_id")
    previous: str | None = Field(default=None, max_length=80)


class ParkedMessage(SQLModel, table=True):
    """A received message whose predecessor has not arrived yet; applied when it does."""

    __tablename__ = "parked_message"
    message_id: str = Field(primary_key=True, max_length=32)
    counterpart: str = Field(max_length=10)
    sealed_jws: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    waits_for: list[str] = Field(sa_column=Column(JSONB, nullable=False), description="References it waits on.")
    parked_at: datetime = Field(sa_column=_when())


class CrossBorderOutbox(SQLModel, table=True):
    """Messages to deliver to a counterpart, in order, retried until its signed receipt arrives."""

    __tablename__ = "crossborder_outbox"
    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=32, unique=True)
    counterpart: str = Field(max_length=10, index=True)
    status: str = Field(default="pending", max_length=10, description="pending, delivered, refused or withdrawn")
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=_when())
    created_at: datetime = Field(sa_column=_when())
    last_error: str | None = Field(default=None, max_length=200)
    refusal_reason: str | None = Field(default=None, max_length=40)
    sealed_answer: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    receipt_breached: bool = False
    delivered_at: datetime | None = Field(default=None, sa_column=_when(nullable=True))


class PersonRead(ChainedEntry, table=True):
    """Who read a person's data, or tried to once it was erased, for which stated purpose, and when."""

    __tablename__ = "person_read"
    reference: str = Field(max_length=64)
    subject: str = Field(max_length=100)
    agency: str | None = Field(default=None, max_length=40)
    purpose: str = Field(max_length=200)
    read_at: datetime = Field(sa_column=_when())
    granted: bool = True
