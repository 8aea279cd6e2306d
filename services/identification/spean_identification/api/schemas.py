"""What the HTTP API accepts and answers. Personal data appears only here and in the encrypted column."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from spean_contracts.fields import MIN_PURPOSE, Happened, LocalId, ProviderId
from spean_contracts.vocabulary import (
    AgeBand,
    AgeMethod,
    ConsentPurpose,
    Continuum,
    CorrectionReason,
    Country,
    Encounter,
    ExploitationType,
    Outcome,
    Province,
    Sex,
)
from spean_identification.domain import letters
from spean_identification.domain.access import MANY_ORGANISATIONS
from spean_identification.domain.indicators import Indicators
from spean_identification.domain.person import Person
from spean_kit.audit import EntryLinks
from spean_kit.errors import stated_purpose
from spean_kit.inputs import Stripped


class ScreeningIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    encountered_at: Happened
    encounter: Encounter
    repatriation_id: LocalId | None = Field(
        default=None,
        description="With encounter `repatriation`: the SOP reference of the return that brought the person "
        "home (from the handover minutes). The screening then continues the return's case, whose id it answers.",
    )
    province: Province
    location: str | None = Field(default=None, max_length=200, description="Village or place; kept encrypted.")
    person: Person
    indicators: Indicators
    continuum: Continuum
    notes: str | None = Field(default=None, max_length=4000, description="Kept encrypted.")

    @field_validator("repatriation_id")
    @classmethod
    def _named_on_arrival_only(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("encounter") not in (None, Encounter.REPATRIATION):
            raise PydanticCustomError(
                "repatriation_encounter_only", "names a return only for a screening with encounter 'repatriation'"
            )
        return value


class ScreeningOut(BaseModel):
    screening_id: str
    case_id: str
    suggested_outcome: Outcome
    reasons: list[str]
    determination_due: datetime


class ScreeningListed(ScreeningOut):
    """A screening as its caseload lists it: pseudonymous, so reading the list is not a read of personal
    data."""

    agency: str
    encounter: Encounter
    province: Province
    is_child: bool = Field(description="Under 18: as screened, or as the competent authority assessed since.")
    deadline_breached: bool
    recorded_at: datetime
    determination: Literal["awaiting-co-signature", "final"] | None = Field(
        default=None, description="Where the case's determination stands; null while none is made."
    )
    outcome: Outcome | None = Field(default=None, description="The determination's outcome, once made.")


class PersonCorrection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: Person = Field(description="The person's data as it should have been recorded, whole: it replaces it.")
    reason: CorrectionReason = Field(description="Why: a coded reason, so that no free text names the person.")


class PersonCorrected(BaseModel):
    """The screening's profile after the correction, as the other services now hold it: pseudonymous."""

    screening_id: str
    case_id: str
    sex: Sex
    age_band: AgeBand
    nationality: Country
    is_child: bool = Field(description="Under 18, by an age assessment of the case where one was made.")
    suggested_outcome: Outcome = Field(
        description="The preliminary assessment made again by the person's age when they were met, as now known."
    )
    reasons: list[str]
    reason: CorrectionReason
    corrected_at: datetime


class ReturneeOut(BaseModel):
    """A person handed over to Cambodia under the SOP, as a transit centre lists them: pseudonymous."""

    repatriation_id: str = Field(description="The return's reference, which the screening on arrival names.")
    case_id: str
    from_country: str
    repatriated_at: datetime = Field(description="When the handover minutes were signed.")
    screening_id: str | None = Field(description="The screening on arrival, once made.")


class PhotoOut(BaseModel):
    """A screening's photo as kept: what it is, never the image (read it for a purpose, audited)."""

    screening_id: str
    media_type: Literal["image/jpeg", "image/png"]
    size: int = Field(description="Bytes kept: the image without its metadata (location, device, comments).")
    taken_at: datetime


class ScreeningRead(ScreeningOut):
    agency: str
    encounter: Encounter
    encountered_at: datetime
    province: Province
    location: str | None
    person: Person
    indicators: Indicators
    continuum: Continuum
    notes: str | None
    photo: PhotoOut | None = Field(
        default=None, description="The person's photo, if one was taken: `GET /screenings/{screening_id}/photo`."
    )


class BulkRowResult(BaseModel):
    row: int
    status: int
    screening: ScreeningOut | None = None
    errors: list[dict[str, str]] = []


class BulkResult(BaseModel):
    created: int
    failed: int
    rows: list[BulkRowResult]


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency: str = Field(pattern=r"^[A-Z][A-Z0-9-]{1,39}$")
    organisation: ProviderId | None = Field(
        default=None,
        validate_default=True,
        description="The one organisation of the agency that may read (its id in the directory, e.g. "
        "`prov-ngo-shelter-01`). Required for NGO, which stands for every NGO.",
    )
    consent_override_reason: Stripped | None = Field(
        default=None,
        min_length=20,
        max_length=200,
        description="Only for the competent authority, where the victim has not consented to sharing between "
        "agencies; kept beside the share and in the audit trail. A later withdrawal of consent still ends the share. "
        "It may not name the person (their names, birth date, a document's number or a contact as recorded): 422 "
        "`names_the_person`, since it outlives an erasure of their data.",
    )
    photo: bool = Field(
        default=False,
        description="Whether the reader may see the person's photo too. Without it they read the rest of the "
        "person's data, but neither the photo nor whether one was taken. Sharing again changes it.",
    )

    @field_validator("organisation")
    @classmethod
    def _one_organisation_of_many(cls, value: str | None, info: ValidationInfo) -> str | None:
        agency = info.data.get("agency")
        if value is None and agency in MANY_ORGANISATIONS:
            raise PydanticCustomError(
                "organisation_required",
                "required when sharing with {agency}, which stands for many organisations",
                {"agency": agency},
            )
        return value


class DeterminationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    reasons: list[str] = Field(min_length=1, max_length=20)
    exploitation_types: list[ExploitationType] = Field(default=[], max_length=6)


class DeterminationOut(BaseModel):
    case_id: str
    determination_id: str
    outcome: Outcome
    status: str
    co_signed_by: str | None


class DeterminationRead(DeterminationOut):
    """A case's determination as the competent authority made it, with its grounds."""

    reasons: list[str] = Field(
        description="The competent authority's grounds. Empty once the person's data was lawfully erased: "
        "written in its own words, they may name the person, and went with the rest."
    )
    exploitation_types: list[ExploitationType]
    agency: str = Field(description="The competent authority's agency.")
    decided_at: datetime


class AgeAssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    age: int = Field(
        ge=0,
        le=120,
        description="The youngest age the assessment supports, in whole years on the day it is recorded: where "
        "it gives a range, its lower end, so that a doubt goes the child's way.",
    )
    methods: list[AgeMethod] = Field(min_length=1, max_length=4, description="How the age was assessed.")
    reasons: list[str] = Field(
        min_length=1,
        max_length=20,
        description="The grounds, in the assessor's words: kept sealed with the person's data.",
    )

    @field_validator("methods")
    @classmethod
    def _once_each(cls, methods: list[AgeMethod]) -> list[AgeMethod]:
        return list(dict.fromkeys(methods))


class AgeAssessmentFacts(BaseModel):
    """What any age assessment says in the open: the age band, whether a child, how and when assessed."""

    assessment_id: str
    case_id: str
    age_band: AgeBand
    is_child: bool = Field(description="Under 18 by the assessment.")
    methods: list[AgeMethod]
    assessed_at: datetime


class AgeAssessmentOut(AgeAssessmentFacts):
    age: int


class AgeAssessmentRead(AgeAssessmentFacts):
    """An age assessment as the competent authority made it, with its grounds."""

    age: int | None = Field(
        description="The youngest age the assessment supported; none once the person's data was lawfully erased."
    )
    reasons: list[str] = Field(description="The grounds; empty once the person's data was lawfully erased.")
    assessed_by: str = Field(description="The assessor's subject id (not a name).")
    agency: str
    in_force: bool = Field(description="Whether it is the case's latest assessment, the age the case goes by.")


class LetterIssued(BaseModel):
    letter_id: str
    case_id: str
    code: str = Field(
        description="What the person carries, printed on their letter. Shown this once: the service keeps only "
        "its digest, and a lost code is replaced by issuing the letter again."
    )
    issued_at: datetime
    replaces: list[str] = Field(description="The case's letters this one replaced: they no longer hold.")


class LetterListed(BaseModel):
    """A letter issued for a case, as the competent authority lists them: never its code."""

    letter_id: str
    issued_at: datetime
    agency: str = Field(description="The issuing agency.")
    replaced_at: datetime | None = Field(description="When a later letter replaced it; null while it holds.")


class LetterCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(max_length=64, description=f"As printed on the letter: {letters.FORM}.")
    purpose: str = Field(
        min_length=MIN_PURPOSE,
        max_length=200,
        description="Why the letter is checked (a court case, an arrest), at least five characters; audited.",
    )

    _a_purpose = field_validator("purpose")(stated_purpose)

    @field_validator("code")
    @classmethod
    def _a_code(cls, value: str) -> str:
        symbols = letters.canonical(value)
        if symbols is None:
            raise PydanticCustomError("letter_code", f"a letter's code is {letters.FORM}")
        return symbols


class LetterCheck(BaseModel):
    """What a letter that holds says: the competent authority's determination, and nothing about the person
    beyond the pseudonymous case, which a court's outcome names (`POST /court-outcomes` at the registry)."""

    letter_id: str
    case_id: str
    outcome: Outcome
    exploitation_types: list[ExploitationType]
    determined_by: str = Field(description="The competent authority's agency.")
    co_signed_by: str | None
    determined_at: datetime
    issued_at: datetime


ConsentGiver = Literal["person", "guardian"]
GIVER = (
    "Who gave (or withdrew) it: the person, or for a child a parent or guardian, as the SOP's consent records "
    "it. A child's consent (`given: true`) must be a guardian's: rule `guardian_required`."
)


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: ConsentPurpose
    given: bool
    given_by: ConsentGiver = Field(default="person", description=GIVER)


class ConsentOut(BaseModel):
    purpose: ConsentPurpose
    given: bool
    given_by: ConsentGiver = Field(description=GIVER)
    recorded_by: str
    agency: str
    recorded_at: datetime


class AuditEntry(EntryLinks):
    at: datetime
    subject: str
    agency: str
    screening_id: str
    purpose: str | None
    granted: bool
    reason: str
