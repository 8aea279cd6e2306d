"""The identification service's tables (schema `identification`). Personal data only as ciphertext."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, LargeBinary, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from spean_kit.audit import ChainedEntry


class CaseKey(SQLModel, table=True):
    __tablename__ = "case_key"
    case_id: str = Field(primary_key=True, max_length=64)
    wrapped_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Screening(SQLModel, table=True):
    __tablename__ = "screening"
    screening_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    agency: str = Field(max_length=40, index=True)
    officer: str = Field(max_length=64, description="The screening officer's subject id (not a name).")
    encounter: str = Field(max_length=40)
    encountered_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    province: str = Field(max_length=10)
    sex: str = Field(max_length=10)
    age_band: str = Field(max_length=10)
    nationality: str = Field(max_length=10)
    is_child: bool
    continuum: str = Field(max_length=1)
    indicators: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    suggested_outcome: str = Field(max_length=30)
    reasons: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    personal_data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    match_key_generation: str | None = Field(
        default=None,
        max_length=16,
        description="Which match-key secret the published keys were made under (none: before this was recorded).",
    )
    determination_due: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    deadline_breached: bool = False
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Photo(SQLModel, table=True):
    """A screening's photo, taken with the person's consent to images; sealed with the case's key like the
    rest of the person's data, so that an erasure leaves it unreadable too."""

    __tablename__ = "photo"
    screening_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    media_type: str = Field(max_length=20)
    size: int = Field(description="Bytes of the image as kept (its metadata dropped).")
    image: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    taken_by: str = Field(max_length=64, description="The officer's subject id (not a name).")
    taken_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Share(SQLModel, table=True):
    __tablename__ = "share"
    __table_args__ = (
        Index("share_one_per_reader", "screening_id", "agency", text("coalesce(organisation, '')"), unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    screening_id: str = Field(max_length=64, index=True)
    agency: str = Field(max_length=40)
    organisation: str | None = Field(
        default=None, max_length=64, description="The one organisation of the agency that may read, if named."
    )
    shared_by: str = Field(max_length=64)
    shared_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    override_reason: str | None = Field(
        default=None, max_length=2000, description="Why the competent authority shared without consent."
    )
    referral_id: str | None = Field(
        default=None, max_length=64, description="The referral whose provider it opens the data to, until it ends."
    )
    with_photo: bool = Field(default=False, description="Whether the person's photo is shared with the rest.")


class Determination(SQLModel, table=True):
    __tablename__ = "determination"
    case_id: str = Field(primary_key=True, max_length=64)
    determination_id: str = Field(max_length=64, unique=True)
    outcome: str = Field(max_length=30)
    reasons: list[str] = Field(
        sa_column=Column(JSONB, nullable=False),
        description="Grounds as an earlier release kept them, in plain text; empty once sealed.",
    )
    sealed_reasons: bytes | None = Field(
        default=None,
        sa_column=Column(LargeBinary, nullable=True),
        description="The grounds (a JSON list), sealed with the case's key: written in the competent "
        "authority's own words, they may name the person. None where the person's data was erased first.",
    )
    exploitation_types: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    determined_by: str = Field(max_length=64)
    agency: str = Field(max_length=40)
    co_signed_by: str | None = Field(default=None, max_length=40)
    status: str = Field(max_length=30, description="awaiting-co-signature or final")
    decided_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    deadline_breached: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": "false"},
        description="Whether the co-signature's lateness was told.",
    )


class AgeAssessment(SQLModel, table=True):
    """The competent authority's assessment of an age in doubt; a case's latest one is its age from then on."""

    __tablename__ = "age_assessment"
    assessment_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    age_band: str = Field(max_length=10)
    is_child: bool = Field(description="Under 18 on the day of the assessment.")
    methods: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    sealed: bytes = Field(
        sa_column=Column(LargeBinary, nullable=False),
        description="The age assessed and the grounds (JSON), sealed with the case's key: an exact age and the "
        "assessor's words point at the person, and go with the rest of their data at an erasure.",
    )
    assessed_by: str = Field(max_length=64, description="The competent authority's subject id (not a name).")
    agency: str = Field(max_length=40)
    assessed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Letter(SQLModel, table=True):
    """An identification letter given to a person determined a trafficking victim. Its code is kept only as a
    digest; a letter issued again replaces the one before, which no longer holds."""

    __tablename__ = "letter"
    letter_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    code_digest: str = Field(max_length=64, unique=True)
    issued_by: str = Field(max_length=64, description="The competent authority's subject id (not a name).")
    agency: str = Field(max_length=40)
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    replaced_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class Consent(SQLModel, table=True):
    __tablename__ = "consent"
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=64, index=True)
    purpose: str = Field(max_length=30)
    given: bool
    given_by: str = Field(default="person", max_length=10, description="The person, or a child's guardian.")
    recorded_by: str = Field(max_length=64)
    agency: str = Field(max_length=40)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class AccessAudit(ChainedEntry, table=True):
    __tablename__ = "access_audit"
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    subject: str = Field(max_length=64)
    agency: str = Field(max_length=40)
    screening_id: str = Field(max_length=64, index=True)
    purpose: str | None = Field(default=None, max_length=200)
    granted: bool
    reason: str = Field(max_length=200)


class Returnee(SQLModel, table=True):
    """A person handed over to Cambodia under the SOP, as repatriation announced it (pseudonymous): the
    transit centre's screening of that person continues the return's case instead of opening another."""

    __tablename__ = "returnee"
    repatriation_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(max_length=64)
    from_country: str = Field(max_length=3)
    repatriated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    screening_id: str | None = Field(default=None, max_length=64, description="The reception screening, once made.")
    deadline_breached: bool = Field(default=False, description="Not screened on arrival in time; told once.")
