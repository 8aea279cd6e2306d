"""The referral service's tables (schema `referral`). No personal data: cases are known by their id."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _when() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False)


class Provider(SQLModel, table=True):
    __tablename__ = "provider"
    __table_args__ = (CheckConstraint("occupancy >= 0 AND occupancy <= capacity", name="capacity_bounds"),)
    provider_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    provider_type: str = Field(max_length=30)
    services: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    sexes: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    gender_identities: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    age_min: int
    age_max: int
    nationalities: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    exploitation_types: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    provinces: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    capacity: int = Field(ge=0)
    occupancy: int = Field(ge=0)


class ReferralCase(SQLModel, table=True):
    __tablename__ = "referral_case"
    case_id: str = Field(primary_key=True, max_length=64)
    referral_case_id: str = Field(max_length=64, unique=True)
    province: str = Field(max_length=10)
    sex: str = Field(max_length=10)
    age_band: str = Field(max_length=10)
    nationality: str = Field(max_length=10)
    is_child: bool
    exploitation_types: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    needs: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    outcome: str = Field(max_length=30)
    status: str = Field(max_length=20)
    opened_at: datetime = Field(sa_column=_when())
    placement_breached: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})


class Referral(SQLModel, table=True):
    __tablename__ = "referral"
    referral_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(max_length=64, index=True)
    provider_id: str = Field(max_length=64, index=True)
    services: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    state: str = Field(max_length=20)
    stage: str | None = Field(default=None, max_length=20)
    status: str = Field(max_length=20)
    holds_bed: bool = False
    shares_personal_data: bool = False
    replaces: str | None = Field(default=None, max_length=64)
    decline_reason: str | None = Field(default=None, max_length=30)
    respond_by: datetime = Field(sa_column=_when())
    follow_up_until: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=True),
        description="While the case is followed up (monitoring): when MoSVY reviews it, if not closed by then.",
    )
    follow_up_breached: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    visit_due: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=True),
        description="While the case is followed up (monitoring): when its next monitoring visit is due.",
    )
    visit_breached: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})
    visited_on: date | None = Field(default=None, description="The day of the latest monitoring visit.")
    situation: str | None = Field(default=None, max_length=20, description="How the latest visit found the person.")
    outcome: str | None = Field(default=None, max_length=30)
    offered_by: str = Field(max_length=64)
    offered_at: datetime = Field(sa_column=_when())


class FiledForm(SQLModel, table=True):
    """A reintegration stage's form, as its provider filed it: coded answers only."""

    __tablename__ = "reintegration_form"
    form_id: str = Field(primary_key=True, max_length=64)
    referral_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=30)
    content: dict[str, object] = Field(sa_column=Column(JSONB, nullable=False))
    filed_by: str = Field(max_length=64)
    filed_at: datetime = Field(sa_column=_when())


class PlacementProposal(SQLModel, table=True):
    """A provider's proposal to take a registered person in, which MoSVY sanctions (as an offer to that
    provider) or declines."""

    __tablename__ = "placement_proposal"
    proposal_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(max_length=64, index=True)
    provider_id: str = Field(max_length=64)
    services: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    state: str = Field(max_length=20)
    proposed_by: str = Field(max_length=64)
    proposed_at: datetime = Field(sa_column=_when())
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    referral_id: str | None = Field(default=None, max_length=64)
    decline_reason: str | None = Field(default=None, max_length=30)


class ConsentState(SQLModel, table=True):
    __tablename__ = "consent_state"
    case_id: str = Field(primary_key=True, max_length=64)
    purpose: str = Field(primary_key=True, max_length=30)
    given: bool
    recorded_at: datetime = Field(sa_column=_when())


class ConsentOverride(SQLModel, table=True):
    __tablename__ = "consent_override"
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=64, index=True)
    referral_id: str = Field(max_length=64)
    by_subject: str = Field(max_length=64)
    agency: str = Field(max_length=40)
    reason: str = Field(max_length=2000)
    at: datetime = Field(sa_column=_when())
