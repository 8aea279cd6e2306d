"""The SOP's steps 4 to 11 as a state machine per case, for both roles. Plain code, no I/O.

Both countries hold the same state for a case, because both apply the same messages in the same
order (the chain). Steps 9 and 10 happen in the origin country alone and never cross the border.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from spean_contracts.fields import local_day
from spean_contracts.sop import SENDER, Kind, Reason, Role


class State(StrEnum):
    REQUESTED = "requested"
    VERIFYING = "verifying"
    VERIFIED = "verified"
    NOT_VERIFIED = "not-verified"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    HANDOVER_SCHEDULED = "handover-scheduled"
    HANDED_OVER = "handed-over"
    CERTIFIED = "certified"
    RECEIVED = "received"
    """Step 9: reception and re-screening at a transit centre in the origin country."""
    REINTEGRATING = "reintegrating"
    """Step 10: reintegration and monitoring in the origin country."""
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    """Ended by the destination country before the handover; the person's data is erased on both sides."""


class LocalStep(StrEnum):
    RECEPTION = "reception"
    REINTEGRATION = "reintegration"


BEFORE_DECISION = (State.REQUESTED, State.VERIFYING, State.VERIFIED, State.NOT_VERIFIED)
# One person, one return at a time: a case may be asked back again only once its last return was refused
# or closed. A second request (an officer's retry after a timeout) would reach the counterpart twice.
ENDED = (State.REFUSED, State.CLOSED, State.WITHDRAWN)
AWAITING_VERIFICATION = (State.REQUESTED, State.VERIFYING)
# The person may change their mind until they cross: after the handover they are home.
BEFORE_HANDOVER = (*BEFORE_DECISION, State.ACCEPTED, State.HANDOVER_SCHEDULED)

ALLOWED: Mapping[Kind, tuple[State | None, ...]] = {
    Kind.RETURN_REQUEST: (None,),
    Kind.VERIFICATION_REQUEST: (State.REQUESTED,),
    Kind.VERIFICATION_RESULT: AWAITING_VERIFICATION,
    Kind.ACCEPTANCE: (State.VERIFIED,),
    Kind.REFUSAL: BEFORE_DECISION,
    # A later proposal replaces the earlier for the persons it names: a handover postponed, or moved to another
    # gate, without erasing the person's data and verifying them again, as a withdrawal would.
    Kind.HANDOVER_PROPOSAL: (State.ACCEPTED, State.HANDOVER_SCHEDULED),
    Kind.HANDOVER_MINUTES: (State.HANDOVER_SCHEDULED,),
    Kind.RETURN_CERTIFICATE: (State.HANDED_OVER,),
    Kind.FEEDBACK: (State.CERTIFIED, State.RECEIVED, State.REINTEGRATING),
    Kind.WITHDRAWAL: BEFORE_HANDOVER,
    # What O asked for while verifying, in as many answers as D needs to gather it.
    Kind.VERIFICATION_INFORMATION: (State.VERIFYING,),
    # Once O has given its result, it verified the person as they were: a correction would come too late, and
    # D withdraws the return and asks again.
    Kind.IDENTITY_CORRECTION: AWAITING_VERIFICATION,
}
LOCAL: Mapping[LocalStep, tuple[State, State]] = {
    LocalStep.RECEPTION: (State.CERTIFIED, State.RECEIVED),
    LocalStep.REINTEGRATION: (State.RECEIVED, State.REINTEGRATING),
}


class StepRefused(Exception):
    """A step the SOP does not allow; `field`, when a field of the message (and of the officer's request that
    makes it) breaks the rule, is its path, and `rule` the rule's name (the reason's, unless given)."""

    def __init__(self, reason: Reason, detail: str, *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.field = field
        self.rule = rule or reason.value.replace("-", "_")


def next_state(state: State | None, kind: Kind, body: Mapping[str, Any], *, sender: Role) -> State:
    """The state after `sender` sends `kind` in `state`, or StepRefused."""
    if SENDER[kind] is not sender:
        raise StepRefused(Reason.STEP_NOT_ALLOWED, f"a {kind} is sent by the {SENDER[kind].name.lower()} country")
    if state not in ALLOWED[kind]:
        raise StepRefused(Reason.STEP_NOT_ALLOWED, f"a {kind} is not allowed when the case is {state or 'new'}")
    match kind:
        case Kind.RETURN_REQUEST:
            return State.REQUESTED
        case Kind.VERIFICATION_REQUEST | Kind.VERIFICATION_INFORMATION:
            return State.VERIFYING
        case Kind.VERIFICATION_RESULT:
            return State.VERIFIED if body["verified"] else State.NOT_VERIFIED
        case Kind.ACCEPTANCE:
            return State.ACCEPTED
        case Kind.REFUSAL:
            return State.REFUSED
        case Kind.HANDOVER_PROPOSAL:
            return State.HANDOVER_SCHEDULED
        case Kind.HANDOVER_MINUTES:
            return State.HANDED_OVER
        case Kind.RETURN_CERTIFICATE:
            return State.CERTIFIED
        case Kind.FEEDBACK:
            return State.CLOSED
        case Kind.WITHDRAWAL:
            return State.WITHDRAWN
        case Kind.IDENTITY_CORRECTION:
            # It leaves the case where it was (requested or verifying): O verifies the corrected person.
            return State.VERIFYING if state is State.VERIFYING else State.REQUESTED


def check_child_safeguards(is_child: bool, acceptance: Mapping[str, Any]) -> None:
    """A child is accepted for return only with a recorded best-interest assessment and a carer's
    agreement; both sides check it, the sender before signing and the receiver before storing."""
    missing = [name for name in ("best_interest_assessment", "carer_agreement") if acceptance.get(name) is None]
    if is_child and missing:
        raise StepRefused(
            Reason.SAFEGUARDS_MISSING,
            "a child's return is accepted only with a best-interest assessment and a carer's agreement",
            field=missing[0],
        )


def check_child_consent(is_child: bool, given_by: str, *, field: str = "consent.given_by") -> None:
    """A child's data, or image, crosses the border only with a parent's or guardian's consent, not the
    child's alone; both sides check it, the sender before signing and the receiver before storing. `field`
    is where the consent's giver is named."""
    if is_child and given_by != "guardian":
        raise StepRefused(
            Reason.SAFEGUARDS_MISSING,
            "a child's data crosses the border only with a parent's or guardian's consent",
            field=field,
        )


def check_minutes_time(handed_over_at: datetime, proposed_at: datetime) -> None:
    """Persons are handed over on a date both sides agreed: not before the destination country proposed it."""
    if handed_over_at < proposed_at:
        raise StepRefused(
            Reason.STEP_NOT_ALLOWED,
            "the handover minutes are timed before the handover was proposed",
            field="handed_over_at",
            rule="before_proposal",
        )


def check_certificate_day(issued_on: date, handed_over_at: datetime) -> None:
    """A return certificate is issued on the spot, at the handover or after it: never on a day before it, at
    the border (UTC+07:00)."""
    if issued_on < local_day(handed_over_at):
        raise StepRefused(
            Reason.STEP_NOT_ALLOWED,
            "a return certificate is not issued before the handover its minutes record",
            field="issued_on",
            rule="before_handover",
        )


def local_step(state: State, step: LocalStep, role: Role) -> State:
    before, after = LOCAL[step]
    if role is not Role.ORIGIN:
        raise StepRefused(Reason.STEP_NOT_ALLOWED, f"{step} happens in the origin country")
    if state is not before:
        raise StepRefused(Reason.STEP_NOT_ALLOWED, f"{step} follows {before}, and the case is {state}")
    return after
