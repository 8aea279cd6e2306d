"""What the referral API accepts and answers."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from spean_contracts.fields import ProviderId
from spean_contracts.vocabulary import (
    CaseStatus,
    ClosureOutcome,
    Country,
    DeclineReason,
    ExploitationType,
    ProviderType,
    Province,
    ReintegrationStage,
    Service,
    Sex,
)
from spean_kit.inputs import Stripped
from spean_referral.domain.forms import Concern, FamilyFinding, FormKind, Risk, Setting, Situation, VisitMode


class ProviderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider_id: ProviderId
    name: str = Field(min_length=2, max_length=200)
    provider_type: ProviderType
    services: list[Service] = Field(min_length=1)
    sexes: list[Sex] = Field(min_length=1)
    gender_identities: list[str] = Field(default=[], max_length=10, description="e.g. transgender; empty: not stated")
    age_min: int = Field(ge=0, le=120, description="At most `age_max`.")
    age_max: int = Field(ge=0, le=120, description="At least `age_min`.")
    nationalities: list[Country] = Field(default=[], description="Empty: any nationality.")
    exploitation_types: list[ExploitationType] = Field(default=[], description="Empty: any.")
    provinces: list[Province] = Field(default=[], description="Empty: nationwide.")
    capacity: int = Field(ge=0, le=10_000)
    occupancy: int = Field(default=0, ge=0, description="At most `capacity`.")

    @model_validator(mode="after")
    def _consistent(self) -> ProviderIn:
        if self.age_min > self.age_max:
            raise ValueError("age_min must not exceed age_max")
        if self.occupancy > self.capacity:
            raise ValueError("occupancy must not exceed capacity")
        return self


class ProviderOut(ProviderIn):
    """A provider as the directory lists it. Its id as stored: one listed before ids had eight characters
    still shows (it cannot be offered; list it again under a longer id)."""

    provider_id: str


class CapacityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    capacity: int = Field(ge=0, le=10_000)


class RankedOut(BaseModel):
    provider_id: str
    rank: int
    score: int
    reasons: list[str]


class NeedMatchOut(BaseModel):
    need: Service
    gap: bool
    ranked: list[RankedOut]
    excluded: dict[str, str]


class ReferralCaseOut(BaseModel):
    case_id: str
    referral_case_id: str
    status: str
    needs: list[Service]
    outcome: str
    province: str
    is_child: bool
    opened_at: datetime
    place_by: datetime = Field(
        description="When the person is due to be in a provider's care: `SPEAN_PLACEMENT_DAYS` after the case "
        "opened, or after the person's latest agreement to services where it came later. An active case that "
        "nobody has taken in by then, whose person does not decline services, is told to MoSVY once "
        "(`referral.placement-deadline-breached`)."
    )


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider_id: ProviderId
    services: list[Service] = Field(min_length=1)
    share_personal_data: bool = Field(
        default=False,
        description="Open the person's screenings in identification to the provider once it accepts, until the "
        "referral closes. Needs consent for sharing between agencies, or the competent authority's override.",
    )
    consent_override_reason: Stripped | None = Field(
        default=None, min_length=20, max_length=2000, description="Only for the competent authority; audited."
    )


class ProposalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    services: list[Service] = Field(min_length=1, description="What the proposing provider would give the person.")


class ProposalState(StrEnum):
    PROPOSED = "proposed"
    SANCTIONED = "sanctioned"
    DECLINED = "declined"


class ProposalDeclineReason(StrEnum):
    PLACED_ELSEWHERE = "placed-elsewhere"
    UNSUITABLE = "unsuitable"
    RETURNING_HOME = "returning-home"


class ProposalDeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: ProposalDeclineReason


class SanctionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    share_personal_data: bool = Field(
        default=False, description="As in an offer: open the person's screenings to the provider once it accepts."
    )
    consent_override_reason: Stripped | None = Field(
        default=None, min_length=20, max_length=2000, description="Only for the competent authority; audited."
    )


class ProposalOut(BaseModel):
    """A provider's proposal to take a person in: `proposed`, then `sanctioned` (MoSVY offered the provider
    the referral named, which the provider accepts as any offer) or `declined` (with its reason)."""

    proposal_id: str
    case_id: str
    provider_id: ProviderId
    services: list[Service]
    state: ProposalState
    proposed_at: datetime
    decided_at: datetime | None
    referral_id: str | None
    decline_reason: ProposalDeclineReason | None


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: DeclineReason


class StageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: ReintegrationStage
    outcome: ClosureOutcome | None = Field(
        default=None, description="Required at `closure`, and only there: how care ended (the closure form)."
    )


class AssessmentForm(BaseModel):
    """Pre-integration: what the person needs, whether their family was traced and is safe, the risks, and
    where the plan is to reintegrate them."""

    model_config = ConfigDict(extra="forbid")
    form: Literal[FormKind.ASSESSMENT]
    assessed_on: date = Field(description="Not in the future, nor before the referral was offered.")
    needs: list[Service] = Field(max_length=8, description="Services the person needs; empty: none beyond care.")
    family: FamilyFinding
    risk: Risk
    planned_setting: Setting = Field(description="Not `family` where the family was found unsafe.")


class ReintegrationPlanForm(BaseModel):
    """Integration: where the person was reintegrated, and the services arranged there."""

    model_config = ConfigDict(extra="forbid")
    form: Literal[FormKind.REINTEGRATION_PLAN]
    reintegrated_on: date = Field(description="Not in the future, nor before the referral was offered.")
    setting: Setting = Field(description="Not `family` where the latest assessment found the family unsafe.")
    province: Province
    services: list[Service] = Field(max_length=8, description="Services arranged where the person lives.")


class MonitoringVisitForm(BaseModel):
    """Monitoring: one visit, how it found the person and what worries the provider."""

    model_config = ConfigDict(extra="forbid")
    form: Literal[FormKind.MONITORING_VISIT]
    visited_on: date = Field(description="Not in the future, nor before the referral was offered.")
    mode: VisitMode
    situation: Situation
    concerns: list[Concern] = Field(default=[], max_length=len(Concern))


ReintegrationForm = Annotated[AssessmentForm | ReintegrationPlanForm | MonitoringVisitForm, Field(discriminator="form")]


class FiledFormOut(BaseModel):
    """A form as filed: under which referral (a transfer's receiver also reads those filed before it) and when."""

    form_id: str
    referral_id: str
    filed_at: datetime
    content: ReintegrationForm


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider_id: ProviderId
    services: list[Service] = Field(min_length=1)
    consent_override_reason: Stripped | None = Field(
        default=None,
        min_length=20,
        max_length=2000,
        description="Only for the competent authority, where the referral transferred shared the person's data "
        "and the victim has not consented to sharing between agencies; audited.",
    )


class ReferralOut(BaseModel):
    """What a provider may see of a referral addressed to it: no other provider's offers, no personal data."""

    referral_id: str
    case_id: str
    provider_id: ProviderId
    services: list[Service]
    state: str
    stage: ReintegrationStage | None
    status: CaseStatus
    respond_by: datetime
    follow_up_until: datetime | None = Field(
        default=None,
        description="While the case is followed up (monitoring): when MoSVY reviews it, if it is not closed by then "
        "(`referral.follow-up-deadline-breached`).",
    )
    visit_due: datetime | None = Field(
        default=None,
        description="While the case is followed up (monitoring): when its next monitoring visit is due, from the "
        "stage's start or the day of the latest visit (`referral.visit-deadline-breached`).",
    )
    visited_on: date | None = Field(default=None, description="The day of the latest monitoring visit.")
    situation: Situation | None = Field(default=None, description="How the latest monitoring visit found the person.")
    shares_personal_data: bool
    outcome: ClosureOutcome | None = Field(default=None, description="How care ended, once closed by its provider.")
    decline_reason: DeclineReason | None = Field(
        default=None, description="Why the offer was declined: the provider's reason, or victim-declined."
    )
