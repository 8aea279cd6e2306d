"""What the registry's API accepts and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from spean_contracts.events import Charge
from spean_contracts.fields import CaseId, today_anywhere
from spean_contracts.vocabulary import Province, Verdict
from spean_kit.audit import EntryLinks
from spean_kit.inputs import Stripped


class CourtOutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: CaseId
    court_case_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{7,63}$")
    court_province: Province
    charges: list[Charge] = Field(min_length=1, max_length=20)
    verdict: Verdict
    sentence_months: int | None = Field(default=None, ge=0, le=1200, description="Only with the verdict `convicted`.")
    settlement: bool = False
    # A thousand trillion riel: beyond any court's order, within what every consumer's integers hold.
    restitution_ordered_khr: int = Field(default=0, ge=0, le=10**15)
    restitution_paid_khr: int = Field(default=0, ge=0, le=10**15, description="At most `restitution_ordered_khr`.")
    defendant_absconded: bool = False
    decided_on: date = Field(description="From 2000-01-01 (the years case.prosecuted can tell) to today.")

    @field_validator("decided_on")
    @classmethod
    def _decided(cls, value: date) -> date:
        if not date(2000, 1, 1) <= value <= today_anywhere():
            raise PydanticCustomError("date_range", "must lie between 2000-01-01 and today")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CourtOutcomeIn:
        if self.restitution_paid_khr > self.restitution_ordered_khr:
            raise ValueError("restitution paid cannot exceed restitution ordered")
        if self.sentence_months and self.verdict != Verdict.CONVICTED:
            raise ValueError("only a conviction carries a sentence")
        return self


class TimelineItem(BaseModel):
    case_id: str = Field(description="The case the event is about.")
    event_id: str
    type: str
    source: str
    at: datetime
    data: dict[str, Any] = Field(
        description="The event's data as its schema has it, but for match keys: they serve linkage alone."
    )
    trace_id: str | None = None
    """The trace of the request that caused the event: look it up in the trace backend."""


class Link(BaseModel):
    case_id: str
    certainty: str


class Timeline(BaseModel):
    case_id: str
    national_record_id: str
    links: list[Link]
    entries: list[TimelineItem]


class PersonTimeline(BaseModel):
    national_record_id: str
    links: list[Link] = Field(
        description="Every case linked into the record; the events of one linked `probable` may be another person's."
    )
    entries: list[TimelineItem]


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_ids: list[CaseId] = Field(min_length=2, max_length=20)
    reason: Stripped = Field(min_length=10, max_length=2000)


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: CaseId
    reason: Stripped = Field(min_length=10, max_length=2000)


class LinkedReport(Link):
    """A case linked into a national record, with what its report says of the person in codes: enough for
    an analyst to judge whether two reports are one person (a woman of 18-24 and a man of 35-44 are not),
    nothing that names them."""

    agency: str | None = Field(description="The agency whose screening opened the case.")
    year: int | None = Field(description="The year, in Cambodia, the person was identified, or else screened.")
    province: str | None
    sex: str | None
    age_band: str | None
    nationality: str | None


class Record(BaseModel):
    national_record_id: str
    links: list[LinkedReport]


class StatisticsCell(BaseModel):
    key: dict[str, str]
    count: int | None = Field(description="null: suppressed (fewer than k, or hiding one that is)")


class Statistics(BaseModel):
    measure: str
    by: list[str]
    k: int
    total: int | None
    suppressed_cells: int
    cells: list[StatisticsCell]


class ResearchRecord(BaseModel):
    """One person, in the statistics' codes: nothing that names them, no id that leads back to them."""

    year: int | None = Field(description="The year, in Cambodia, the person was first identified, or else screened.")
    province: str | None = Field(description="Where the person was first reported, if a quasi-identifier.")
    sex: str | None
    age_band: str | None = Field(description="As first reported.")
    nationality: str | None
    encounter: str | None = Field(description="How the first report met the person.")
    continuum: str | None = Field(description="The first report's situation, A (forced) to F (voluntary).")
    outcome: str | None = Field(
        description="The gravest determination of any report: trafficking-victim, vulnerable-person, not-trafficked."
    )
    identified_again: bool = Field(description="Identified as a victim again, 90 days or more after a first time.")
    exploitation_types: list[str]
    referred: bool = Field(description="A provider took the person in.")
    days_to_placement: str | None = Field(description="From identification to the first placement, in bands.")
    care_outcomes: list[str] = Field(description="How each closure of care ended.")
    unmet_needs: list[str] = Field(description="The need of each service gap met in the person's referral.")
    breached_deadlines: list[str] = Field(description="The deadline each breach of the person's case missed.")
    repatriated: bool
    returned_to: str | None
    days_to_return: str | None = Field(description="From the first return request to the handover, in bands.")
    prosecuted: bool
    convicted: bool


class ResearchRecords(BaseModel):
    k: int
    quasi_identifiers: list[str] = Field(description="Each record shares these with k records or more.")
    withheld: int = Field(description="Persons consenting to research whose record fewer than k records would share.")
    records: list[ResearchRecord]


class AuditEntryOut(EntryLinks):
    """One entry of the registry's audit trail: who read a case's timeline, merged or split national
    records, or recorded a court's decision, when, and why."""

    at: datetime
    subject: str
    agency: str
    action: str = Field(
        description=(
            "timeline-read, person-timeline-read, record-merge, record-split, court-outcome-recorded or"
            " research-records-read."
        )
    )
    target: str = Field(
        description=(
            "The case id, the case ids merged, split or read in a person's timeline (comma-separated), the court"
            " case, or research-records."
        )
    )
    purpose: str | None
