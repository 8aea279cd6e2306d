"""The registry's tables (schema `registry`). The projection tables are rebuilt from Kafka; the court
cases, analysts' decisions and the audit chain are the registry's own records and never rebuilt."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Date, DateTime, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from spean_kit.audit import ChainedEntry


def _when() -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class TimelineEntry(SQLModel, table=True):
    __tablename__ = "timeline_entry"
    event_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    type: str = Field(max_length=120)
    source: str = Field(max_length=200)
    at: datetime = _when()
    data: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    trace_id: str | None = Field(default=None, max_length=32, description="The trace of the request that caused it.")


class CaseFacts(SQLModel, table=True):
    __tablename__ = "case_facts"
    case_id: str = Field(primary_key=True, max_length=64)
    national_record_id: str = Field(index=True, max_length=64)
    certainty: str = Field(max_length=10)
    province: str | None = Field(default=None, max_length=10)
    sex: str | None = Field(default=None, max_length=10)
    age_band: str | None = Field(default=None, max_length=10)
    nationality: str | None = Field(default=None, max_length=10)
    is_child: bool | None = None
    agency: str | None = Field(default=None, max_length=40)
    outcome: str | None = Field(default=None, max_length=30)
    encounter: str | None = Field(default=None, max_length=30, description="How the latest screening met the person.")
    continuum: str | None = Field(
        default=None, max_length=1, description="The latest screening's situation, A (forced) to F (voluntary)."
    )
    exploitation_types: list[str] = Field(default=[], sa_column=Column(JSONB, nullable=False))
    year: int | None = Field(
        default=None, description="The year, in Cambodia, the person was identified, or else screened."
    )
    screened_year: int | None = Field(
        default=None, description="The year, in Cambodia, of the case's first screening: the screened count's."
    )
    repatriated_year: int | None = Field(
        default=None, description="The year, in Cambodia, the person was first handed over: the repatriated count's."
    )
    screened: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": "false"},
        description="Screened in Cambodia; a returnee's case starts elsewhere.",
    )
    identified: bool = False
    referred: bool = False
    provider_id: str | None = Field(default=None, max_length=64)
    repatriated: bool = False
    returned_to: str | None = Field(
        default=None, max_length=10, description="The country a repatriated person was returned to (O)."
    )
    prosecuted: bool = False
    convicted: bool = False
    verdicts: dict[str, str] = Field(
        default={},
        sa_column=Column(JSONB, nullable=False, server_default="{}"),
        description="Each court case's latest verdict: an appeal's acquittal undoes a conviction.",
    )
    identified_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=True),
        description="When the person was first identified (or found a vulnerable person).",
    )
    referred_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=True),
        description="When a provider first accepted the person.",
    )
    placement_wait: str | None = Field(
        default=None, max_length=10, description="The band of days between the two (domain/waits.py)."
    )
    requested_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=True),
        description="When the person's return was first requested (SOP step 4).",
    )
    repatriated_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=True),
        description="When the person was first handed over (SOP step 8).",
    )
    return_wait: str | None = Field(
        default=None, max_length=10, description="The band of days between the two (domain/waits.py)."
    )
    gap_needs: list[str] = Field(
        default=[],
        sa_column=Column(JSONB, nullable=False, server_default="[]"),
        description="The need of each service gap, in the order they were found.",
    )
    breached_deadlines: list[str] = Field(
        default=[],
        sa_column=Column(JSONB, nullable=False, server_default="[]"),
        description="The deadline each breach missed (domain/deadlines.py), in the order they were told.",
    )
    care_outcomes: list[str] = Field(
        default=[],
        sa_column=Column(JSONB, nullable=False, server_default="[]"),
        description="How each of the person's referrals closed by its provider ended, in the order they closed.",
    )
    research_consent: bool | None = Field(
        default=None, description="The case's latest consent to research: given (true) or withdrawn (false)."
    )
    research_consent_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=True),
        description="When that consent was recorded: across a person's cases, the latest is in force.",
    )


class MatchKey(SQLModel, table=True):
    __tablename__ = "match_key"
    key: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(primary_key=True, index=True, max_length=64)


class CourtCase(SQLModel, table=True):
    __tablename__ = "court_case"
    court_case_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(index=True, max_length=64)
    outcome: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    decided_on: date = Field(sa_column=Column(Date, nullable=False))
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = _when()


class AnalystDecision(SQLModel, table=True):
    __tablename__ = "analyst_decision"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)
    case_ids: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    reason: str = Field(max_length=2000)
    by_subject: str = Field(max_length=64)
    at: datetime = _when()


class AuditEntry(ChainedEntry, table=True):
    __tablename__ = "audit_log"
    at: datetime = _when()
    subject: str = Field(max_length=64)
    agency: str = Field(max_length=40)
    action: str = Field(max_length=40)
    # The cases of a merge, or of a person's timeline read, are named together: a person screened at
    # every deportation has dozens.
    target: str = Field(sa_column=Column(Text, nullable=False))
    purpose: str | None = Field(default=None, max_length=200)


class CourtYear(SQLModel, table=True):
    """A court case as the yearly court figures count it: its last decision in a calendar year (a case
    before the courts that year, a conviction, a settlement, an absconded defendant, restitution ordered
    and paid, the sentence's band), under its most serious charge, so that trafficking is never counted
    with rape."""

    __tablename__ = "court_year"
    court_case_id: str = Field(primary_key=True, max_length=64)
    year: int = Field(primary_key=True)
    decided_on: date = Field(sa_column=Column(Date, nullable=False))
    verdict: str = Field(max_length=20)
    category: str = Field(max_length=20)
    court_province: str = Field(max_length=10)
    settlement: bool
    absconded: bool = Field(description="A defendant absconded, as the year's last decision records.")
    restitution_ordered: bool = Field(description="Restitution was ordered.")
    restitution_paid: bool = Field(description="Restitution ordered was paid in full.")
    sentence: str | None = Field(
        default=None, max_length=20, description="The prison sentence's band (domain/sentences.py)."
    )


PROJECTION = (TimelineEntry, CaseFacts, MatchKey, CourtYear)
