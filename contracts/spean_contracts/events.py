"""The case events of Spean, one model per event type and major version.

Headline events (`case.*`) are what every agency subscribes to; the lifecycle events let the
services and the registry follow each step. No model has a field for a name, a birth date, a
contact, a photo or a document number: personal data never leaves the service that owns it.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from spean_contracts.fields import EventData, LocalId, MatchKey, none, quasi
from spean_contracts.vocabulary import (
    AgeBand,
    AgeMethod,
    Agency,
    BorderGate,
    CaseStatus,
    ChargeCategory,
    ClosureOutcome,
    ConsentPurpose,
    Continuum,
    CorrectionReason,
    Country,
    DeclineReason,
    Encounter,
    ExploitationType,
    Outcome,
    ProviderType,
    Province,
    RefusalReason,
    ReintegrationStage,
    Service,
    Sex,
    Verdict,
    WithdrawalReason,
)


class Profile(EventData):
    """The coarse profile of a case that statistics are made of."""

    province: Province = quasi("Province where the person was identified (ISO 3166-2:KH).")
    sex: Sex = quasi("Sex as recorded at screening.")
    age_band: AgeBand = quasi("Age band, from the birth date or the estimated age.")
    nationality: Country = quasi("Nationality, ISO 3166-1 alpha-3.")
    is_child: bool = quasi("Under 18 at identification.")


# Identification ---------------------------------------------------------------------------------


class ScreeningRecorded(Profile):
    """A frontline officer screened a person; the indicators suggest an outcome, never decide it."""

    screening_id: LocalId = none("The screening's id in the identification service.")
    agency: Agency = none("The agency that screened.")
    encounter: Encounter = none("How the person was encountered.")
    continuum: Continuum = none("Continuum category, A (completely forced) to F (voluntary).")
    indicators_present: int = none("How many indicators of the checklist were present.", ge=0)
    suggested_outcome: Outcome = none("The preliminary assessment's suggestion.")
    match_keys: list[MatchKey] = quasi(
        "Keyed hashes for linking records of the same person across agencies.", max_length=8
    )
    screened_at: datetime = none("When the screening was recorded.")


class MatchKeysRenewed(EventData):
    """The match keys of an earlier screening, made again under identification's new match-key secret: once
    the secret is replaced, later screenings carry keys made under the new one, and the registry links
    them with the earlier ones through these."""

    screening_id: LocalId = none("The screening whose person the keys are of.")
    match_keys: list[MatchKey] = quasi(
        "Keyed hashes for linking records of the same person across agencies, under the new secret.", max_length=8
    )
    renewed_at: datetime = none("When the keys were made again.")


class ScreeningCorrected(Profile):
    """The person's data of an earlier screening was corrected (a name mistyped, a birth date read from a
    verified document): the case's profile and the screening's match keys are the corrected ones, and the keys
    it was published with before no longer stand for the person. An age assessed by the competent authority
    still decides the age band and whether the person is a child."""

    screening_id: LocalId = none("The screening corrected.")
    match_keys: list[MatchKey] = quasi(
        "Keyed hashes for linking records of the same person, made from the corrected data; they replace the "
        "case's keys.",
        max_length=8,
    )
    reason: CorrectionReason = none("Why the data was corrected.")
    agency: Agency = none("The agency that corrected it.")
    corrected_at: datetime = none("When it was corrected.")


class DeterminationMade(EventData):
    """The competent authority (MoSVY, optionally co-signed by MoI police) determined the case."""

    determination_id: LocalId = none("The determination's id in the identification service.")
    outcome: Outcome = none("The determination's outcome.")
    exploitation_types: list[ExploitationType] = none("Forms of exploitation found.", max_length=6)
    agency: Agency = none("The determining agency.")
    co_signed_by: Agency | None = none("The co-signing agency, where configured.", default=None)
    determined_at: datetime = none("When the determination was made.")


class CaseIdentified(Profile):
    """A person was determined to be a victim of trafficking. Every agency subscribes to this."""

    exploitation_types: list[ExploitationType] = none("Forms of exploitation found.", min_length=1, max_length=6)
    screening_agency: Agency = none("The agency whose screening started the case.")
    identified_at: datetime = none("When the determination was made.")


class VulnerablePersonIdentified(Profile):
    """A person was found vulnerable or a victim of other abuse: referred for help, not counted as trafficked."""

    screening_agency: Agency = none("The agency whose screening started the case.")
    identified_at: datetime = none("When the determination was made.")


class AgeAssessed(EventData):
    """The competent authority assessed the age of a person whose age was in doubt (papers that may be
    forged, an estimate, a presumption of childhood). From then on the case's age band and whether the person
    is a child are the assessment's, whatever the screening said, until an assessment replaces it."""

    age_band: AgeBand = quasi("Age band of the assessed age.")
    is_child: bool = quasi("Under 18 by the assessment.")
    methods: list[AgeMethod] = none("How the age was assessed.", min_length=1, max_length=4)
    agency: Agency = none("The assessing agency.")
    assessed_at: datetime = none("When the assessment was recorded.")


class ConsentRecorded(EventData):
    """Consent for one purpose was given or withdrawn; the latest record per purpose is in force."""

    purpose: ConsentPurpose = none("What the consent is for.")
    given: bool = none("Given (true) or withdrawn or refused (false).")
    agency: Agency = none("The agency that recorded it.")
    recorded_at: datetime = none("When it was recorded.")


class PersonalDataErased(EventData):
    """A case's personal data was lawfully erased: every service holding a copy erases its own."""

    erased_at: datetime = none("When it was erased.")


class IdentificationDeadlineBreached(EventData):
    """A stage of identification passed its deadline."""

    stage: str = none("The stage that is late.", pattern="^(screening|determination|co-signature)$")
    agency: Agency = none("The agency responsible for the stage.")
    due_at: datetime = none("When the stage was due.")
    breached_at: datetime = none("When the breach was noticed.")


# Referral ---------------------------------------------------------------------------------------


class ReferralCaseOpened(Profile):
    """MoSVY registered an identified person and opened a referral case."""

    referral_case_id: LocalId = none("The referral case's id.")
    needs: list[Service] = none("Services the person needs.", max_length=8)
    exploitation_types: list[ExploitationType] = none("Forms of exploitation found.", max_length=6)
    opened_at: datetime = none("When the referral case was opened.")


class ReferralOffered(EventData):
    """A referral was offered to a provider for some services."""

    referral_id: LocalId = none("The referral's id.")
    provider_id: LocalId = none("The provider offered the referral.")
    services: list[Service] = none("Services asked of the provider.", min_length=1, max_length=8)
    respond_by: datetime = none("The provider's response deadline.")


class ReferralAccepted(EventData):
    """The provider accepted the referral."""

    referral_id: LocalId = none("The referral's id.")
    provider_id: LocalId = none("The provider that accepted.")
    accepted_at: datetime = none("When it accepted.")


class ReferralPersonalDataShared(EventData):
    """The provider that accepted a referral may read the person's data in identification: the offer asked
    to share it, with the victim's consent to sharing between agencies or the competent authority's
    override. The share ends when the referral does, and with the victim's consent."""

    referral_id: LocalId = none("The referral's id.")
    provider_id: LocalId = none("The provider (its organisation id in the directory) that may read.")
    agency: str = none("The agency the provider's systems sign in as.", pattern=r"^[A-Z][A-Z0-9-]{1,39}$")
    overrides_consent: bool = none("Whether the competent authority shared without the victim's consent.")
    shared_at: datetime = none("When the provider accepted, and the share began.")


class ReferralDeclined(EventData):
    """The provider declined the referral, or did not answer in time."""

    referral_id: LocalId = none("The referral's id.")
    provider_id: LocalId = none("The provider that declined.")
    reason: DeclineReason = none("Why.")
    declined_at: datetime = none("When it declined.")


class ReferralDeadlineBreached(EventData):
    """A referral offer's response deadline passed: the case is escalated to MoSVY."""

    referral_id: LocalId = none("The referral's id.")
    provider_id: LocalId = none("The provider that did not answer.")
    due_at: datetime = none("When the answer was due.")
    breached_at: datetime = none("When the breach was noticed.")


class FollowUpDeadlineBreached(EventData):
    """A case stayed in follow-up (the monitoring stage) longer than its configured length without being
    closed: MoSVY reviews whether to close it or go on."""

    referral_id: LocalId = none("The referral under which care is given.")
    provider_id: LocalId = none("The provider following the case up.")
    due_at: datetime = none("When the follow-up was due to end.")
    breached_at: datetime = none("When the breach was noticed.")


class VisitDeadlineBreached(EventData):
    """A person in follow-up (the monitoring stage) went longer than the configured interval without a
    monitoring visit, counted from the stage's start or the latest visit: MoSVY is told once per interval
    missed, so that nobody is followed up on paper only."""

    referral_id: LocalId = none("The referral under which care is given.")
    provider_id: LocalId = none("The provider following the case up.")
    due_at: datetime = none("When the next visit was due.")
    breached_at: datetime = none("When the breach was noticed.")


class PlacementDeadlineBreached(EventData):
    """A person registered for referral was not in any provider's care by the configured deadline after
    the case opened, or after their latest agreement to services where it came later (nor declining
    services): MoSVY, who sanctions placements, is told once."""

    referral_case_id: LocalId = none("The referral case's id.")
    due_at: datetime = none("When the person was due to be in a provider's care.")
    breached_at: datetime = none("When the breach was noticed.")


class ReintegrationStageChanged(EventData):
    """A case in care moved to another reintegration stage."""

    referral_id: LocalId = none("The referral under which care is given.")
    stage: ReintegrationStage = none("The new stage.")
    status: CaseStatus = none("The HTCDS status of the case.")
    changed_at: datetime = none("When the stage changed.")


class ServiceGapRecorded(EventData):
    """A need no provider in the directory can meet: the gap is counted instead of disappearing."""

    need: Service = none("The service that nobody can provide.")
    province: Province = quasi("The case's province.")
    sex: Sex = quasi("The case's sex.")
    age_band: AgeBand = quasi("The case's age band.")
    exploitation_types: list[ExploitationType] = none("Forms of exploitation found.", max_length=6)
    recorded_at: datetime = none("When the gap was found.")


class ReferralClosed(EventData):
    """A referral ended: care completed, with its outcome since 1.1, or the case was referred on."""

    referral_id: LocalId = none("The referral's id.")
    status: CaseStatus = none("Closed or ClosedReferred.")
    closed_at: datetime = none("When it closed.")
    outcome: ClosureOutcome | None = none(
        "Since 1.1: how care ended, recorded by the provider at its closure (Closed); absent where the case was "
        "referred on (ClosedReferred).",
        default=None,
    )


class CaseReferred(EventData):
    """An identified person was placed with a provider that accepted. Every agency subscribes to this."""

    referral_id: LocalId = none("The referral's id.")
    provider_id: LocalId = none("The provider giving care.")
    provider_type: ProviderType = none("The kind of provider.")
    services: list[Service] = none("Services given.", min_length=1, max_length=8)
    province: Province = quasi("The province of the placement.")
    referred_at: datetime = none("When the provider accepted.")


class CaseClosed(EventData):
    """A case's reintegration ended and the case was closed."""

    status: CaseStatus = none("Closed or ClosedReferred.")
    closed_at: datetime = none("When the case closed.")


# Repatriation -----------------------------------------------------------------------------------


class RepatriationStep(EventData):
    """What every step of the Cambodia-Viet Nam SOP carries."""

    repatriation_id: LocalId = none("The repatriation's reference, known to both countries.")
    destination_country: Country = none("D: the country where the person was found.")
    origin_country: Country = none("O: the country the person returns to.")
    sop_step: int = none("The SOP step, 4 to 11.", ge=4, le=11)
    at: datetime = none("When the step happened.")


class RepatriationRequested(RepatriationStep):
    """D asked O to take a person back (SOP step 4)."""


class RepatriationVerified(RepatriationStep):
    """O finished verifying identity, nationality and victim status (SOP step 5)."""

    verified: bool = none("Whether identity and nationality were confirmed.")


class RepatriationAccepted(RepatriationStep):
    """O accepted the return and issued a travel document (SOP step 6)."""


class RepatriationRefused(RepatriationStep):
    """O refused the return (SOP step 6)."""

    reason: RefusalReason = none("Why.")


class HandoverScheduled(RepatriationStep):
    """Both sides agreed the handover's date and border gate (SOP step 7)."""

    handover_id: LocalId = none("The handover's id; one handover carries a batch of persons.")
    border_gate: BorderGate = none("The border gate.")
    handover_date: date = none("The agreed date.")
    batch_size: int = none("Persons in the handover's batch.", ge=1)


class HandedOver(RepatriationStep):
    """The person was handed over at the gate and the minutes signed (SOP step 8)."""

    handover_id: LocalId = none("The handover's id.")
    border_gate: BorderGate = none("The border gate.")


class RepatriationWithdrawn(RepatriationStep):
    """D ended the return before the handover, and both sides erased the person's data it carried."""

    reason: WithdrawalReason = none("Why: the person withdrew consent to cross-border sharing, or declined to return.")


class RepatriationDeadlineBreached(RepatriationStep):
    """A deadline of the SOP passed: verification, a message's receipt, and since 1.1 a handover's day gone
    by without its minutes (`handover`) or the return certificate not issued on the handover's day
    (`certificate`)."""

    deadline: str = none(
        "The deadline that passed.", pattern="^(verification|handover-notice|receipt|handover|certificate)$"
    )
    due_at: datetime = none("When it was due.")


class CaseRepatriated(EventData):
    """A person was handed over to the origin country. Every agency subscribes to this."""

    repatriation_id: LocalId = none("The repatriation's reference.")
    from_country: Country = none("D: the country the person left.")
    to_country: Country = none("O: the country the person returned to.")
    border_gate: BorderGate = none("The border gate.")
    repatriated_at: datetime = none("When the handover minutes were signed.")


# Prosecution ------------------------------------------------------------------------------------


class Charge(BaseModel):
    """One charge: the article of law and its category, so trafficking is never mixed with rape."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    law_article: str = none("The article charged, e.g. '2008 LSHTSE art. 10'.", pattern=r"^[A-Za-z0-9 .,/()-]{1,60}$")
    category: ChargeCategory = none("Trafficking, rape or other.")


class CourtOutcomeRecorded(EventData):
    """A court decided a case (Ministry of Justice)."""

    court_case_id: LocalId = none("The court case's reference in the registry.")
    court_province: Province = none("The province of the court.")
    charges: list[Charge] = none("The charges.", min_length=1, max_length=20)
    verdict: Verdict = none("The verdict.")
    sentence_months: int | None = none("Prison sentence in months, if any.", default=None, ge=0)
    settlement: bool = none("Closed by a monetary settlement instead of prison.")
    restitution_ordered_khr: int = none("Restitution ordered, in riel.", ge=0)
    restitution_paid_khr: int = none("Restitution paid so far, in riel.", ge=0)
    defendant_absconded: bool = none("A defendant absconded.")
    decided_on: date = none("The date of the decision.")


class CaseProsecuted(EventData):
    """A case reached a verdict in court. Every agency subscribes to this."""

    court_case_id: LocalId = none("The court case's reference in the registry.")
    category: ChargeCategory = none("The most serious charge's category.")
    verdict: Verdict = none("The verdict.")
    convicted: bool = none("Whether any defendant was convicted.")
    year: int = none("The year of the decision.", ge=2000, le=2100)
