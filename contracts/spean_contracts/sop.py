"""The cross-border protocol of the Cambodia-Viet Nam SOP (steps 4 to 11): what the two countries'
repatriation services send each other, how it is signed, and how each side checks it.

Every message is a JSON document signed as a compact JWS (ES256, `typ` `spean-sop+jws`, the
signing key named by `kid`). Each message names the cases it concerns; for each case it carries the
case's sequence number and the hash of the previous message of that case, so both sides hold the
same verifiable chain. The receiver answers with a signed receipt, or with a signed error naming the
reason. `contracts/repatriation-protocol.md` explains it for a team building its own side.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from spean_contracts.fields import CLOCK_SKEW, BirthDate, Instant, LocalId, earliest_today, local_day, whole_years
from spean_contracts.vocabulary import (
    BorderGate,
    CorrectionReason,
    Country,
    ExploitationType,
    RefusalReason,
    Sex,
    WithdrawalReason,
)

SPEC: Literal["spean-sop/1"] = "spean-sop/1"
JWS_TYPE = "spean-sop+jws"
ALGORITHM = "ES256"
MEDIA_TYPE = "application/jose"

Hash = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Role(StrEnum):
    DESTINATION = "D"
    """The country where the person was found."""
    ORIGIN = "O"
    """The country the person returns to."""


class Kind(StrEnum):
    RETURN_REQUEST = "return-request"
    VERIFICATION_REQUEST = "verification-request"
    VERIFICATION_RESULT = "verification-result"
    ACCEPTANCE = "acceptance"
    REFUSAL = "refusal"
    HANDOVER_PROPOSAL = "handover-proposal"
    HANDOVER_MINUTES = "handover-minutes"
    RETURN_CERTIFICATE = "return-certificate"
    FEEDBACK = "feedback"
    WITHDRAWAL = "withdrawal"
    """D ends the return before the handover: the person withdrew consent or no longer wishes to return.
    Both sides erase the person's data the return request carried."""
    VERIFICATION_INFORMATION = "verification-information"
    """D answers O's verification request with what it asked for: personal data, erased with the person's."""
    IDENTITY_CORRECTION = "identity-correction"
    """D corrects the person's data its return request carried, while O has not yet given its verification
    result: O verifies the corrected person. Personal data, erased with the person's."""


STEP: Mapping[Kind, int] = {
    Kind.RETURN_REQUEST: 4,
    Kind.VERIFICATION_REQUEST: 5,
    Kind.VERIFICATION_RESULT: 5,
    Kind.ACCEPTANCE: 6,
    Kind.REFUSAL: 6,
    Kind.HANDOVER_PROPOSAL: 7,
    Kind.HANDOVER_MINUTES: 8,
    Kind.RETURN_CERTIFICATE: 8,
    Kind.FEEDBACK: 11,
    Kind.WITHDRAWAL: 4,
    Kind.VERIFICATION_INFORMATION: 5,
    Kind.IDENTITY_CORRECTION: 4,
}
SENDER: Mapping[Kind, Role] = {
    Kind.RETURN_REQUEST: Role.DESTINATION,
    Kind.VERIFICATION_REQUEST: Role.ORIGIN,
    Kind.VERIFICATION_RESULT: Role.ORIGIN,
    Kind.ACCEPTANCE: Role.ORIGIN,
    Kind.REFUSAL: Role.ORIGIN,
    Kind.HANDOVER_PROPOSAL: Role.DESTINATION,
    Kind.HANDOVER_MINUTES: Role.DESTINATION,
    Kind.RETURN_CERTIFICATE: Role.ORIGIN,
    Kind.FEEDBACK: Role.ORIGIN,
    Kind.WITHDRAWAL: Role.DESTINATION,
    Kind.VERIFICATION_INFORMATION: Role.DESTINATION,
    Kind.IDENTITY_CORRECTION: Role.DESTINATION,
}


class _Exact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ADULT_AT = 18


class Person(_Exact):
    """The minimum about the person that crosses the border, and only with consent for it."""

    names: list[Text] = Field(min_length=1, max_length=4)
    sex: Sex
    birth_date: BirthDate | None = None
    estimated_age: int | None = Field(default=None, ge=0, le=120)
    claimed_nationality: Country
    place_of_origin: Text = Field(description="Village, commune and province of origin, as the person told it.")
    is_child: bool = Field(
        description="Under 18, or presumed so where the age is uncertain. A person whose birth date (or, without "
        "one, estimated age) says under 18 is a child: `false` is refused (rule `child_by_age`), since a child's "
        "return needs its safeguards."
    )

    @field_validator("is_child")
    @classmethod
    def _child_by_age(cls, is_child: bool, info: ValidationInfo) -> bool:
        birth_date, estimated_age = info.data.get("birth_date"), info.data.get("estimated_age")
        age = estimated_age if birth_date is None else whole_years(birth_date, earliest_today())
        if not is_child and age is not None and age < ADULT_AT:
            raise PydanticCustomError(
                "child_by_age", "a person under 18 by their birth date or estimated age is a child"
            )
        return is_child


class Consent(_Exact):
    purpose: Literal["sharing-cross-border"]
    given_by: Literal["person", "guardian"]
    recorded_at: Instant


class BestInterestAssessment(_Exact):
    completed_on: date
    by_agency: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9-]{1,30}$")]
    return_in_best_interest: Literal[True]


class CarerAgreement(_Exact):
    agreed_on: date
    carer_relationship: Literal["parent", "relative", "legal-guardian", "foster-carer"]


class ReturnRequest(_Exact):
    person: Person
    consent: Consent
    exploitation_types: list[ExploitationType] = Field(min_length=1, max_length=6)


Need = Literal["photo", "statement", "family-contact", "documents"]


class IdentityCorrection(_Exact):
    """The whole corrected person, replacing the one the return request carried, with the consent under which
    it crosses (a guardian's, if the correction makes the person a child) and why it was corrected (a code,
    never free text about the person)."""

    person: Person
    consent: Consent
    reason: CorrectionReason


class VerificationRequest(_Exact):
    """O has started verifying, and may ask D for more (codes, never free text about the person)."""

    needs: list[Need] = Field(default=[], max_length=4)


class IdentityDocument(_Exact):
    document_type: Literal["passport", "national-id", "birth-certificate", "family-book", "other"]
    number: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 /.-]{0,39}$")]
    issued_by: Country


class FamilyContact(_Exact):
    relationship: Literal["parent", "spouse", "sibling", "child", "relative", "other"]
    names: list[Text] = Field(min_length=1, max_length=4)
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{6,24}$")] | None = None
    place: Text = Field(description="Village, commune and province where the family lives, as told.")


class ImagesConsent(_Exact):
    purpose: Literal["images"]
    given_by: Literal["person", "guardian"]
    recorded_at: Instant


class Photo(_Exact):
    media_type: Literal["image/jpeg", "image/png"]
    data: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]+={0,2}$", max_length=700_000)] = Field(
        description="The image, base64 (at most about 512 KiB)."
    )
    consent: ImagesConsent = Field(description="An image crosses only with the person's consent to images.")


class VerificationInformation(_Exact):
    """D answers O's verification request with what O asked for (its `needs`) and no more: the only
    personal data to cross after the return request, with the person's consent to cross-border sharing
    that the request carried. Both sides erase it with the person's data."""

    statement: str | None = Field(
        default=None, min_length=1, max_length=4000, description="The person's own account, as recorded in D."
    )
    family_contact: FamilyContact | None = None
    documents: list[IdentityDocument] = Field(default=[], max_length=5)
    photo: Photo | None = None

    @model_validator(mode="after")
    def _answers_something(self) -> VerificationInformation:
        if not self.provided():
            raise ValueError("answers no need: give at least one of statement, family_contact, documents, photo")
        return self

    def provided(self) -> set[str]:
        """The needs this answers."""
        given = {
            "statement": self.statement,
            "family-contact": self.family_contact,
            "documents": self.documents or None,
            "photo": self.photo,
        }
        return {need for need, value in given.items() if value is not None}


class VerificationResult(_Exact):
    verified: bool
    nationality_confirmed: bool
    victim_status_confirmed: bool


class Acceptance(_Exact):
    travel_document_issued: bool
    best_interest_assessment: BestInterestAssessment | None = None
    carer_agreement: CarerAgreement | None = None


class Refusal(_Exact):
    reason: RefusalReason


class HandoverProposal(_Exact):
    handover_id: LocalId
    border_gate: BorderGate
    handover_date: date
    escorts: int = Field(ge=0, le=50)


class HandoverMinutes(_Exact):
    handover_id: LocalId
    border_gate: BorderGate
    handed_over_at: Instant


class ReturnCertificate(_Exact):
    handover_id: LocalId
    issued_on: date


class Feedback(_Exact):
    outcome: Literal["reintegrated", "in-care", "lost-contact", "re-trafficked", "other"]


class Withdrawal(_Exact):
    reason: WithdrawalReason = Field(description="A code, never free text about the person.")


BODY: Mapping[Kind, type[_Exact]] = {
    Kind.RETURN_REQUEST: ReturnRequest,
    Kind.VERIFICATION_REQUEST: VerificationRequest,
    Kind.VERIFICATION_RESULT: VerificationResult,
    Kind.ACCEPTANCE: Acceptance,
    Kind.REFUSAL: Refusal,
    Kind.HANDOVER_PROPOSAL: HandoverProposal,
    Kind.HANDOVER_MINUTES: HandoverMinutes,
    Kind.RETURN_CERTIFICATE: ReturnCertificate,
    Kind.FEEDBACK: Feedback,
    Kind.WITHDRAWAL: Withdrawal,
    Kind.VERIFICATION_INFORMATION: VerificationInformation,
    Kind.IDENTITY_CORRECTION: IdentityCorrection,
}
PERSONAL_KINDS = frozenset({Kind.RETURN_REQUEST, Kind.VERIFICATION_INFORMATION, Kind.IDENTITY_CORRECTION})
"""Kinds whose body carries the person's data: erased with the person's, their digest kept for the chain."""
BATCH_KINDS = frozenset({Kind.HANDOVER_PROPOSAL, Kind.HANDOVER_MINUTES, Kind.RETURN_CERTIFICATE})
"""Kinds that may name many cases: one handover, one gate, one date, signed once as a whole."""
DONE: Mapping[Kind, tuple[tuple[str, ...], ...]] = {
    Kind.RETURN_REQUEST: (("consent", "recorded_at"),),
    Kind.IDENTITY_CORRECTION: (("consent", "recorded_at"),),
    Kind.VERIFICATION_INFORMATION: (("photo", "consent", "recorded_at"),),
    Kind.ACCEPTANCE: (("best_interest_assessment", "completed_on"), ("carer_agreement", "agreed_on")),
    Kind.HANDOVER_MINUTES: (("handed_over_at",),),
    Kind.RETURN_CERTIFICATE: (("issued_on",),),
}
"""Where a body says when something was done (a consent given, a handover made, a certificate issued): never
after the message saying so was sent, by the sender's own clock."""


class CaseLink(_Exact):
    reference: LocalId = Field(description="The repatriation's reference, known to both countries.")
    sequence: int = Field(ge=1, description="This message's place in the case's chain, from 1.")
    previous: Hash | None = Field(description="Hash of the case's previous message; null for the first.")


class Message(_Exact):
    spec: Literal["spean-sop/1"] = SPEC
    message_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    kind: Kind
    sop_step: int = Field(ge=4, le=11)
    sender: Country
    receiver: Country
    sent_at: Instant
    cases: list[CaseLink] = Field(min_length=1, max_length=300)
    body: dict[str, Any]

    @functools.cached_property
    def typed_body(self) -> Any:
        """The body as its kind's model, validated once per message (a photo's answer holds up to 700,000
        characters, and a message is checked in several places before it is stored): raises ValidationError."""
        return BODY[self.kind].model_validate(self.body)


class ReceiptStatus(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    PARKED = "parked"
    """Held until the case's previous message arrives; stored then."""


class Receipt(_Exact):
    spec: Literal["spean-sop/1"] = SPEC
    kind: Literal["receipt"] = "receipt"
    message_id: str
    message_hash: Hash
    status: ReceiptStatus
    sender: Country
    receiver: Country
    received_at: Instant


class Reason(StrEnum):
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad-signature"
    UNKNOWN_KEY = "unknown-key"
    WRONG_PARTY = "wrong-party"
    BROKEN_CHAIN = "broken-chain"
    UNKNOWN_CASE = "unknown-case"
    STEP_NOT_ALLOWED = "step-not-allowed"
    CONFLICTING_DUPLICATE = "conflicting-duplicate"
    SAFEGUARDS_MISSING = "safeguards-missing"
    NOTICE_TOO_SHORT = "notice-too-short"
    NOT_ASKED = "not-asked"
    """Verification information O did not ask for: only what was asked crosses."""


class ErrorDocument(_Exact):
    spec: Literal["spean-sop/1"] = SPEC
    kind: Literal["error"] = "error"
    message_id: str | None
    message_hash: Hash | None
    reason: Reason
    detail: str
    sender: Country
    receiver: Country | None
    at: Instant


class ProtocolFault(Exception):
    """A message refused for `reason`; `detail` never repeats the message's content."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def canonical(document: BaseModel) -> bytes:
    return json.dumps(
        document.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def digest(jws: str) -> str:
    """The hash a message is chained and acknowledged by: SHA-256 of its compact JWS."""
    return "sha256:" + hashlib.sha256(jws.encode("ascii")).hexdigest()


def sign(document: BaseModel, key: ec.EllipticCurvePrivateKey, kid: str) -> str:
    return jwt.api_jws.encode(canonical(document), key, algorithm=ALGORITHM, headers={"kid": kid, "typ": JWS_TYPE})


def public_jwk(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey, kid: str) -> dict[str, Any]:
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    jwk: dict[str, Any] = ECAlgorithm.to_jwk(public, as_dict=True)
    return jwk | {"kid": kid, "use": "sig", "alg": ALGORITHM}


def verified_payload(jws: str, keys: Mapping[str, Mapping[str, Any]]) -> bytes:
    """The signed bytes, once the signature is checked against the pinned key named by `kid`."""
    try:
        header = jwt.api_jws.get_unverified_header(jws)
    except jwt.DecodeError:
        raise ProtocolFault(Reason.MALFORMED, "the document is not a compact JWS") from None
    if header.get("alg") != ALGORITHM or header.get("typ") != JWS_TYPE:
        raise ProtocolFault(Reason.MALFORMED, f"the JWS header must have alg {ALGORITHM} and typ {JWS_TYPE}")
    jwk = keys.get(str(header.get("kid", "")))
    if jwk is None:
        raise ProtocolFault(Reason.UNKNOWN_KEY, "the message is signed by a key not pinned for this counterpart")
    public = ECAlgorithm.from_jwk(dict(jwk))
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise ProtocolFault(Reason.UNKNOWN_KEY, "a pinned key must be a public key")
    try:
        payload: bytes = jwt.api_jws.decode(jws, public, algorithms=[ALGORITHM])
    except jwt.InvalidSignatureError:
        raise ProtocolFault(Reason.BAD_SIGNATURE, "the signature does not match the message") from None
    except jwt.DecodeError:
        raise ProtocolFault(Reason.MALFORMED, "the JWS cannot be decoded") from None
    return payload


def _problems(error: ValidationError, prefix: str) -> str:
    return "; ".join(f"{prefix}{'.'.join(str(p) for p in issue['loc'])}: {issue['type']}" for issue in error.errors())


def open_message(jws: str, keys: Mapping[str, Mapping[str, Any]]) -> Message:
    """A verified, well-formed message, or ProtocolFault saying what is wrong (field paths and rules)."""
    payload = verified_payload(jws, keys)
    try:
        message = Message.model_validate_json(payload)
    except ValidationError as error:
        raise ProtocolFault(Reason.MALFORMED, _problems(error, "")) from None
    try:
        body = message.typed_body
    except ValidationError as error:
        raise ProtocolFault(Reason.MALFORMED, _problems(error, "body.")) from None
    late = _dated_after_sending(message, body)
    if late is not None:
        raise ProtocolFault(Reason.MALFORMED, f"body.{late}: dated_after_sending")
    if message.sop_step != STEP[message.kind]:
        raise ProtocolFault(Reason.MALFORMED, f"sop_step: a {message.kind} is step {STEP[message.kind]}")
    if len(message.cases) > 1 and message.kind not in BATCH_KINDS:
        raise ProtocolFault(Reason.MALFORMED, f"cases: a {message.kind} concerns exactly one case")
    if len({link.reference for link in message.cases}) != len(message.cases):
        raise ProtocolFault(Reason.MALFORMED, "cases: a case is named twice")
    return message


def _dated_after_sending(message: Message, body: BaseModel) -> str | None:
    """The path of a moment or day (at the border) `body`, the message's typed body, gives as done after the
    message was sent, if any, give or take a clock running five minutes fast where the sender took them."""
    latest = message.sent_at + CLOCK_SKEW
    for path in DONE.get(message.kind, ()):
        value: Any = body
        for name in path:
            value = getattr(value, name) if value is not None else None
        if (isinstance(value, datetime) and value > latest) or (type(value) is date and value > local_day(latest)):
            return ".".join(path)
    return None


def stored_message(jws: str) -> Message:
    """A message read back from where this side stored it: verified then, so not again, since a key
    rotated since would refuse it."""
    return Message.model_validate_json(jwt.api_jws.decode(jws, options={"verify_signature": False}))


def open_answer(jws: str, keys: Mapping[str, Mapping[str, Any]]) -> Receipt | ErrorDocument:
    """A counterpart's signed receipt or signed error."""
    payload = verified_payload(jws, keys)
    kind = json.loads(payload).get("kind")
    if kind == "receipt":
        return Receipt.model_validate_json(payload)
    return ErrorDocument.model_validate_json(payload)
