"""What the repatriation API takes and answers (domestic side)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from spean_contracts.fields import CaseId, Happened, LocalId, PastDay
from spean_contracts.sop import (
    Acceptance,
    BestInterestAssessment,
    CarerAgreement,
    Consent,
    ImagesConsent,
    Person,
    Photo,
    VerificationInformation,
)
from spean_contracts.vocabulary import BorderGate, CorrectionReason, Country, ExploitationType
from spean_kit.audit import EntryLinks


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsentIn(Consent):
    """The consent as this country's officer records it: given already, not at a time to come. (The SOP's
    own `Consent`, which the counterpart's clock stamps, is not held to this clock.)"""

    recorded_at: Happened


class ImagesConsentIn(ImagesConsent):
    recorded_at: Happened


class PhotoIn(Photo):
    consent: ImagesConsentIn = Field(description="An image crosses only with the person's consent to images.")


class VerificationInformationIn(VerificationInformation):
    """The answer as this country's officer records it: a photo's consent given already, not at a time to come."""

    photo: PhotoIn | None = None


class BestInterestAssessmentIn(BestInterestAssessment):
    completed_on: PastDay


class CarerAgreementIn(CarerAgreement):
    agreed_on: PastDay


class AcceptanceIn(Acceptance):
    """The acceptance as this country's officer records it: a child's safeguards were completed and agreed on a
    day already past, not on a day to come (the SOP's own `Acceptance`, which the counterpart dates, is not held
    to this calendar)."""

    best_interest_assessment: BestInterestAssessmentIn | None = None
    carer_agreement: CarerAgreementIn | None = None


class ReturnRequestIn(_In):
    case_id: CaseId = Field(description="This country's case id of the person found here.")
    origin_country: Country
    person: Person
    consent: ConsentIn | None = Field(
        default=None,
        description="The person's consent to share the data across the border; for a child, a parent's or guardian's "
        "(`given_by: guardian`).",
    )
    exploitation_types: list[ExploitationType] = Field(min_length=1, max_length=6)


class PersonCorrectionIn(_In):
    person: Person = Field(description="The whole corrected person, replacing the one the return request carried.")
    consent: ConsentIn = Field(
        description="The consent under which the corrected data crosses; a parent's or guardian's if the person "
        "is a child."
    )
    reason: CorrectionReason


class HandoverIn(_In):
    references: list[LocalId] = Field(min_length=1, max_length=300)
    border_gate: BorderGate
    handover_date: date
    escorts: int = Field(default=0, ge=0, le=50)


class MinutesIn(_In):
    handed_over_at: Happened = Field(
        description="With its UTC offset, and not in the future (5 minutes allowed): rule datetime_past; not before "
        "the handover was proposed (409, rule before_proposal)."
    )


class CertificateIn(_In):
    issued_on: PastDay = Field(
        description="The day the certificates were issued at the border (UTC+07:00): from 1900-01-01 to today, rule "
        "date_range; not before the day of the handover's minutes (409, rule before_handover)."
    )


class MessageOut(BaseModel):
    message_id: str
    kind: str
    sop_step: int
    direction: str
    digest: str
    sent_at: datetime
    delivery: str | None = Field(
        description="For messages sent: pending, delivered, refused, or withdrawn (the return was withdrawn before "
        "the counterpart received it, so it was never sent)."
    )
    refusal_reason: str | None = None


class PersonReadOut(EntryLinks):
    """One read of a person's data: who, of which agency, why, when, and whether it was answered (not
    once the data was erased)."""

    reference: str
    subject: str
    agency: str | None
    purpose: str
    read_at: datetime
    granted: bool


class RepatriationOut(BaseModel):
    reference: str
    case_id: str
    role: str
    counterpart: str
    state: str
    is_child: bool
    handover_id: str | None
    border_gate: str | None
    handover_date: date | None
    verification_due_at: datetime | None
    identity_changed_at: datetime | None = Field(
        description="When identification corrected the person's data, or assessed their age otherwise than the "
        "request says, after the person was sent across and before the handover, or when it had known as a child "
        "the person sent as an adult (its event came after the request; destination side): the counterpart may "
        "be verifying, or have verified, the wrong person. Until its verification result, send "
        "the corrected person (`PUT /repatriations/{reference}/person`); after it, withdraw the return and ask "
        "again. Either clears it."
    )
    messages: list[MessageOut] = []


class HandoverOut(BaseModel):
    handover_id: str
    references: list[str]
    message_id: str


class VerificationInformationOut(BaseModel):
    """One answer of the destination country to the verification request, as signed."""

    message_id: str
    sent_at: datetime
    information: VerificationInformation
