"""Sending and receiving SOP messages: each one checked against the case's chain and state, applied
to both countries' copies the same way, stored signed, and announced as case events.

A message is applied in one transaction with its events and (when sent) its cross-border outbox row,
so a refused message changes nothing and an accepted one is never half-recorded.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import BaseModel
from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import array
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import events as e
from spean_contracts.fields import CLOCK_SKEW, EventData, earliest_today
from spean_contracts.sop import (
    PERSONAL_KINDS,
    SENDER,
    STEP,
    CaseLink,
    ErrorDocument,
    HandoverProposal,
    IdentityCorrection,
    Kind,
    Message,
    Person,
    ProtocolFault,
    Reason,
    Receipt,
    ReceiptStatus,
    ReturnRequest,
    Role,
    VerificationInformation,
    Withdrawal,
    digest,
    open_message,
    public_jwk,
    sign,
    stored_message,
)
from spean_contracts.vocabulary import BorderGate, Country, RefusalReason, WithdrawalReason
from spean_kit.database import hold_lock
from spean_kit.keyring import KeyRing
from spean_kit.outbox import Stager
from spean_repatriation.adapters.tables import ChainLink, CrossBorderOutbox, ParkedMessage, Repatriation, SopMessage
from spean_repatriation.case_ages import known_age
from spean_repatriation.domain.ages import KnownAge, presumed_child
from spean_repatriation.domain.calendar import add_working_days, notice_is_enough
from spean_repatriation.domain.procedure import (
    BEFORE_HANDOVER,
    ENDED,
    LocalStep,
    State,
    StepRefused,
    check_certificate_day,
    check_child_consent,
    check_child_safeguards,
    check_minutes_time,
    local_step,
    next_state,
)
from spean_repatriation.settings import Counterpart, RepatriationSettings

log = logging.getLogger(__name__)


@dataclass
class Exchange:
    """This country's side of the protocol: its keys, its counterparts, its sealing."""

    settings: RepatriationSettings
    signing_key: ec.EllipticCurvePrivateKey
    sealer: KeyRing

    @classmethod
    def from_settings(cls, settings: RepatriationSettings) -> Exchange:
        key = serialization.load_pem_private_key(settings.signing_key.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the signing key must be an EC P-256 private key")
        return cls(settings, key, KeyRing.from_base64(settings.master_key, settings.previous_master_keys))

    @property
    def country(self) -> Country:
        return self.settings.country

    def public_keys(self) -> dict[str, Any]:
        return {"keys": [public_jwk(self.signing_key, self.settings.signing_key_id)]}

    def sign(self, document: BaseModel) -> str:
        return sign(document, self.signing_key, self.settings.signing_key_id)

    def counterpart(self, country: Country | str) -> Counterpart:
        found = self.settings.counterpart(Country(country))
        if found is None:
            raise ProtocolFault(Reason.WRONG_PARTY, f"{country} is not a counterpart of this instance")
        return found

    def receipt(self, message: Message, jws: str, status: ReceiptStatus, now: datetime) -> str:
        return self.sign(
            Receipt(
                message_id=message.message_id,
                message_hash=digest(jws),
                status=status,
                sender=self.country,
                receiver=message.sender,
                received_at=now,
            )
        )

    def error(self, fault: ProtocolFault | StepRefused, jws: str | None, now: datetime) -> str:
        return self.sign(
            ErrorDocument(
                message_id=None,
                message_hash=digest(jws) if jws else None,
                reason=fault.reason,
                detail=fault.detail,
                sender=self.country,
                receiver=None,
                at=now,
            )
        )


def countries(row: Repatriation, mine: Country) -> tuple[Country, Country]:
    """(D, O) of a case."""
    other = Country(row.counterpart)
    return (mine, other) if row.role == Role.DESTINATION else (other, mine)


def _step(row: Repatriation, exchange: Exchange, sop_step: int, at: datetime) -> dict[str, Any]:
    """What every repatriation event of `row` carries."""
    destination, origin = countries(row, exchange.country)
    return {
        "case_id": row.case_id,
        "repatriation_id": row.reference,
        "destination_country": destination,
        "origin_country": origin,
        "sop_step": sop_step,
        "at": at,
    }


def _events(row: Repatriation, message: Message, exchange: Exchange, batch: int) -> list[EventData]:
    destination, origin = countries(row, exchange.country)
    step = _step(row, exchange, message.sop_step, message.sent_at)
    body = message.body
    match message.kind:
        case Kind.RETURN_REQUEST:
            return [e.RepatriationRequested(**step)]
        case Kind.VERIFICATION_RESULT:
            return [e.RepatriationVerified(**step, verified=body["verified"])]
        case Kind.ACCEPTANCE:
            return [e.RepatriationAccepted(**step)]
        case Kind.REFUSAL:
            return [e.RepatriationRefused(**step, reason=RefusalReason(body["reason"]))]
        case Kind.HANDOVER_PROPOSAL:
            return [
                e.HandoverScheduled(
                    **step,
                    handover_id=body["handover_id"],
                    border_gate=BorderGate(body["border_gate"]),
                    handover_date=body["handover_date"],
                    batch_size=batch,
                )
            ]
        case Kind.HANDOVER_MINUTES:
            gate = BorderGate(body["border_gate"])
            return [
                e.HandedOver(**step, handover_id=body["handover_id"], border_gate=gate),
                e.CaseRepatriated(
                    case_id=row.case_id,
                    repatriation_id=row.reference,
                    from_country=destination,
                    to_country=origin,
                    border_gate=gate,
                    repatriated_at=body["handed_over_at"],
                ),
            ]
        case Kind.WITHDRAWAL:
            return [e.RepatriationWithdrawn(**step, reason=WithdrawalReason(body["reason"]))]
        case _:
            return []


def _check_rules(message: Message, rows: Sequence[Repatriation], counterpart: Counterpart) -> None:
    body = message.body
    if message.kind is Kind.RETURN_REQUEST:
        check_child_consent(rows[0].is_child, body["consent"]["given_by"])
    if message.kind is Kind.IDENTITY_CORRECTION:
        _check_person_held(rows[0])
        check_child_consent(body["person"]["is_child"], body["consent"]["given_by"])
    if message.kind is Kind.VERIFICATION_INFORMATION and body.get("photo") is not None:
        check_child_consent(rows[0].is_child, body["photo"]["consent"]["given_by"], field="photo.consent.given_by")
    if message.kind is Kind.ACCEPTANCE:
        check_child_safeguards(rows[0].is_child, body)
    if message.kind is Kind.HANDOVER_PROPOSAL and not notice_is_enough(
        message.sent_at, message.typed_body.handover_date, counterpart.handover_notice_days
    ):
        raise StepRefused(
            Reason.NOTICE_TOO_SHORT,
            f"a handover needs at least {counterpart.handover_notice_days} days' notice",
            field="handover_date",
        )
    if message.kind in (Kind.HANDOVER_MINUTES, Kind.RETURN_CERTIFICATE):
        handovers = {row.handover_id for row in rows}
        if handovers != {body["handover_id"]}:
            raise StepRefused(Reason.STEP_NOT_ALLOWED, "the cases named are not those of this handover")


async def _apply(
    session: AsyncSession,
    stage: Stager,
    exchange: Exchange,
    message: Message,
    jws: str,
    rows: Sequence[Repatriation],
    *,
    direction: str,
    now: datetime,
    after_head: bool = False,
) -> None:
    """Applies a message to the cases it names, at the place in their chains it was signed for, or after
    their heads (`after_head`: a withdrawal that crossed the counterpart's messages)."""
    counterpart = exchange.counterpart(rows[0].counterpart)
    sender = SENDER[message.kind]
    new_states = [
        next_state(State(row.state) if row.head_sequence else None, message.kind, message.body, sender=sender)
        for row in rows
    ]
    _check_rules(message, rows, counterpart)
    if message.kind is Kind.VERIFICATION_INFORMATION:
        await _check_asked(session, exchange, message, rows[0])
    await _check_sent_in_order(session, message)
    await _check_handover_times(session, exchange, message, rows[0])
    hashed = digest(jws)
    session.add(
        SopMessage(
            message_id=message.message_id,
            digest=hashed,
            direction=direction,
            counterpart=counterpart.country.value,
            kind=message.kind.value,
            sop_step=message.sop_step,
            sealed_jws=exchange.sealer.seal(jws.encode(), message.message_id),
            sent_at=message.sent_at,
            stored_at=now,
        )
    )
    await session.flush()
    staged: list[EventData] = []
    for row, link, state in zip(rows, message.cases, new_states, strict=True):
        sequence = row.head_sequence + 1 if after_head else link.sequence
        # `previous` stays as signed: where a withdrawal crossed, it names what the sender had last seen.
        session.add(
            ChainLink(reference=row.reference, sequence=sequence, message_id=message.message_id, previous=link.previous)
        )
        if message.kind is Kind.RETURN_CERTIFICATE and row.screened_on_arrival_at is not None:
            # The transit centre screened her before the certificate was recorded: that was her reception.
            state = local_step(state, LocalStep.RECEPTION, Role(row.role))
        row.state = state.value
        row.head_sequence = sequence
        row.head_hash = hashed
        row.updated_at = now
        if message.kind is Kind.RETURN_REQUEST:
            row.verification_due_at = add_working_days(
                message.sent_at, counterpart.verification_working_days, counterpart.holidays
            )
        if message.kind is Kind.IDENTITY_CORRECTION:
            _correct(row, message.typed_body, exchange)
        if message.kind is Kind.HANDOVER_PROPOSAL:
            proposal = message.typed_body
            row.handover_id, row.border_gate, row.handover_date = (
                proposal.handover_id,
                proposal.border_gate.value,
                proposal.handover_date,
            )
            row.handover_breached = False
        if message.kind is Kind.HANDOVER_MINUTES:
            row.handed_over_at = message.typed_body.handed_over_at
        session.add(row)
        staged += _events(row, message, exchange, len(rows))
    if message.kind is Kind.WITHDRAWAL:
        await _forget(session, rows)
    if staged:
        await stage(session, *staged)
    await session.flush()


def _correct(row: Repatriation, correction: IdentityCorrection, exchange: Exchange) -> None:
    """Both sides hold the corrected person in place of the one the request carried; the request's signed
    copy stays, erased with the person's data."""
    row.is_child = correction.person.is_child
    row.sealed_person = exchange.sealer.seal(correction.person.model_dump_json().encode(), row.reference)
    if row.role == Role.DESTINATION:
        row.consent_recorded_at = correction.consent.recorded_at
        row.identity_changed_at = None


async def stored_messages(session: AsyncSession, exchange: Exchange, row: Repatriation, kind: Kind) -> list[Message]:
    """The case's messages of `kind` as signed and kept here, in chain order; those erased are gone."""
    stored = (
        await session.exec(
            select(SopMessage.message_id, SopMessage.sealed_jws)
            .join(ChainLink, col(ChainLink.message_id) == col(SopMessage.message_id))
            .where(ChainLink.reference == row.reference, SopMessage.kind == kind.value)
            .order_by(col(ChainLink.sequence))
        )
    ).all()
    return [
        stored_message(exchange.sealer.open(sealed, message_id).decode())
        for message_id, sealed in stored
        if sealed is not None
    ]


async def _last_sent_at(session: AsyncSession, row: Repatriation, *kinds: Kind) -> datetime | None:
    """When the case's latest message of one of `kinds` was signed, if it has one."""
    sent: datetime | None = (
        await session.exec(
            select(func.max(SopMessage.sent_at))
            .join(ChainLink, col(ChainLink.message_id) == col(SopMessage.message_id))
            .where(ChainLink.reference == row.reference, col(SopMessage.kind).in_([kind.value for kind in kinds]))
        )
    ).one()
    return sent


async def identity_sent_at(session: AsyncSession, row: Repatriation) -> datetime:
    """When the person as the counterpart holds them was signed: the return request, or its latest identity
    correction."""
    return await _last_sent_at(session, row, Kind.RETURN_REQUEST, Kind.IDENTITY_CORRECTION) or row.created_at


async def _check_sent_in_order(session: AsyncSession, message: Message) -> None:
    """A message is not sent before the ones it follows, as its sender had last seen them (a crossed withdrawal
    follows what its sender had seen, not what it is applied after), give or take the two countries' clocks
    drifting five minutes apart: deadlines and notice count from `sent_at`, so a message dated back would
    move them."""
    previous = [link.previous for link in message.cases if link.previous is not None]
    if not previous:
        return
    latest: datetime | None = (
        await session.exec(select(func.max(SopMessage.sent_at)).where(col(SopMessage.digest).in_(previous)))
    ).one()
    if latest is not None and message.sent_at + CLOCK_SKEW < latest:
        raise StepRefused(Reason.MALFORMED, "sent_at: before_previous (dated before the message it follows)")


async def _check_handover_times(session: AsyncSession, exchange: Exchange, message: Message, row: Repatriation) -> None:
    """A handover's minutes are not timed before it was proposed, nor its certificates dated before its minutes'
    day. Both sides hold the same chain, so both judge a message alike: the sender before signing, the receiver
    before storing."""
    if message.kind is Kind.HANDOVER_MINUTES:
        proposed_at = await _last_sent_at(session, row, Kind.HANDOVER_PROPOSAL)
        if proposed_at is not None:
            check_minutes_time(message.typed_body.handed_over_at, proposed_at)
    if message.kind is Kind.RETURN_CERTIFICATE:
        minutes = await stored_messages(session, exchange, row, Kind.HANDOVER_MINUTES)
        if minutes:
            check_certificate_day(message.typed_body.issued_on, minutes[-1].typed_body.handed_over_at)


def _check_person_held(row: Repatriation) -> None:
    """Nothing more of a person whose data was erased crosses: no verification information, no correction."""
    if row.sealed_person is None:
        raise StepRefused(Reason.STEP_NOT_ALLOWED, "the person's data was erased: nothing more of them crosses")


async def _check_asked(session: AsyncSession, exchange: Exchange, message: Message, row: Repatriation) -> None:
    """Verification information crosses only for a person whose data is still held, and only what O asked
    for in the case's verification request. Both sides check it: D before signing, O before storing."""
    _check_person_held(row)
    requests = await stored_messages(session, exchange, row, Kind.VERIFICATION_REQUEST)
    asked = {need for request in requests for need in request.typed_body.needs}
    information: VerificationInformation = message.typed_body
    unasked = information.provided() - asked
    if unasked:
        raise StepRefused(
            Reason.NOT_ASKED,
            f"only what the origin country asked for crosses; not asked: {', '.join(sorted(unasked))}",
            field=min(unasked).replace("-", "_"),
        )


async def _forget(session: AsyncSession, rows: Sequence[Repatriation]) -> None:
    """A withdrawn return: the person's data it carried is erased here, and the person leaves the handover
    they were listed for, so that its minutes name only those who cross. Nothing of the person is left to
    correct, and a received message still waiting for one before it on the case (which may carry the
    person's data) never applies now: it goes too."""
    for row in rows:
        row.handover_id, row.border_gate, row.handover_date = None, None, None
        row.identity_changed_at = None
    await _erase_person(session, rows)
    references = [row.reference for row in rows]
    waits_for: Any = ParkedMessage.__table__.c.waits_for  # type: ignore[attr-defined]
    await session.exec(delete(ParkedMessage).where(waits_for.has_any(array(references))))


async def _erase_person(session: AsyncSession, rows: Sequence[Repatriation]) -> None:
    """The sealed person, and the signed messages that carried their data (the return request, any
    verification information or identity correction), whose digests stay so that the chain still verifies.
    One still queued for the counterpart is erased once delivered (`erase_delivered`): the counterpart holds
    the messages before it, and any message after it names it as the one before."""
    for row in rows:
        row.sealed_person = None
        session.add(row)
    carried = select(ChainLink.message_id).where(col(ChainLink.reference).in_([row.reference for row in rows]))
    queued = select(CrossBorderOutbox.message_id).where(CrossBorderOutbox.status == "pending")
    await session.exec(
        update(SopMessage)
        .where(
            col(SopMessage.message_id).in_(carried),
            col(SopMessage.message_id).not_in(queued),
            col(SopMessage.kind).in_([kind.value for kind in PERSONAL_KINDS]),
        )
        .values(sealed_jws=None)
    )


async def erase_delivered(session: AsyncSession, message: SopMessage) -> None:
    """A message that carried a person's data, delivered (or refused) after the data was erased here: its
    signed copy goes now."""
    if message.kind not in PERSONAL_KINDS:
        return
    erased = (
        await session.exec(
            select(Repatriation.reference)
            .join(ChainLink, col(ChainLink.reference) == col(Repatriation.reference))
            .where(ChainLink.message_id == message.message_id, col(Repatriation.sealed_person).is_(None))
        )
    ).first()
    if erased is not None:
        message.sealed_jws = None
        session.add(message)


async def locked(session: AsyncSession, references: Sequence[str]) -> dict[str, Repatriation]:
    """The cases named, locked in reference order, so two messages on overlapping batches never deadlock."""
    rows = (
        await session.exec(
            select(Repatriation)
            .where(col(Repatriation.reference).in_(references))
            .order_by(col(Repatriation.reference))
            .with_for_update()
        )
    ).all()
    return {row.reference: row for row in rows}


class ReturnUnderWay(Exception):
    def __init__(self, reference: str, state: str) -> None:
        super().__init__(f"a return of this case is under way: {reference} ({state})")
        self.reference = reference
        self.state = state


class PresumedChild(Exception):
    """The person sent as an adult, on no birth date, is one identification knows as a child."""

    def __init__(self, known: KnownAge) -> None:
        super().__init__(
            f"identification knows the person as {known.how()}, and they may still be one: send them as a child "
            "(`is_child` true, on a guardian's consent), give the birth date a document shows, or have "
            "identification correct the age first"
        )


def held_person(exchange: Exchange, row: Repatriation) -> Person | None:
    """The person as this side holds them for the return: None once erased."""
    return (
        None
        if row.sealed_person is None
        else Person.model_validate_json(exchange.sealer.open(row.sealed_person, row.reference))
    )


async def _check_child_status(session: AsyncSession, case_id: str, person: Person) -> None:
    """Refuses the person sent as an adult whom identification knows as a child who may still be one
    (`PresumedChild`)."""
    known = await known_age(session, case_id)
    if known is not None and presumed_child(known, person, earliest_today()):
        raise PresumedChild(known)


# Sending ----------------------------------------------------------------------------------------


async def request_return(
    session: AsyncSession,
    stage: Stager,
    exchange: Exchange,
    *,
    case_id: str,
    origin: Country,
    request: ReturnRequest,
    now: datetime,
) -> Repatriation:
    """SOP step 4 from the destination country: a new repatriation and its return request, unless a
    return of the case is under way (`ReturnUnderWay`) or the person sent as an adult is one identification
    knows as a child (`PresumedChild`)."""
    exchange.counterpart(origin)
    under_way = (
        await session.exec(
            select(Repatriation).where(
                Repatriation.case_id == case_id,
                Repatriation.role == Role.DESTINATION.value,
                col(Repatriation.state).not_in([state.value for state in ENDED]),
            )
        )
    ).first()
    if under_way is not None:
        raise ReturnUnderWay(under_way.reference, under_way.state)
    await _check_child_status(session, case_id, request.person)
    reference = f"rep-{exchange.country.value.lower()}-{uuid.uuid4().hex[:20]}"
    row = Repatriation(
        reference=reference,
        case_id=case_id,
        role=Role.DESTINATION.value,
        counterpart=origin.value,
        state=State.REQUESTED.value,
        is_child=request.person.is_child,
        sealed_person=exchange.sealer.seal(request.person.model_dump_json().encode(), reference),
        consent_recorded_at=request.consent.recorded_at,
        created_at=now,
        updated_at=now,
    )
    await send(session, stage, exchange, Kind.RETURN_REQUEST, [row], request, now=now)
    return row


async def correct(
    session: AsyncSession,
    stage: Stager,
    exchange: Exchange,
    row: Repatriation,
    correction: IdentityCorrection,
    *,
    now: datetime,
) -> None:
    """The destination country corrects the person it sent across. Sent again (an officer's retry), with
    the counterpart already holding that person on that consent and nothing changed in identification since,
    it is not sent twice."""
    await _check_child_status(session, row.case_id, correction.person)
    held = held_person(exchange, row)
    if (
        row.role == Role.DESTINATION
        and held == correction.person
        and row.consent_recorded_at == correction.consent.recorded_at
        and row.identity_changed_at is None
    ):
        return
    await send(session, stage, exchange, Kind.IDENTITY_CORRECTION, [row], correction, now=now)


async def withdraw(
    session: AsyncSession, stage: Stager, exchange: Exchange, row: Repatriation, body: Withdrawal, *, now: datetime
) -> None:
    """The destination country ends a return before the handover. If the counterpart never received the
    return request (it was down, or refused the message), nothing of the person has crossed and nothing
    will: the request, and any message queued behind it, is taken off the queue and the withdrawal stays
    here. Otherwise the withdrawal follows the chain, and both sides erase the person's data."""
    request = await _held_request(session, row)
    if request is None or request.status == "delivered":
        await send(session, stage, exchange, Kind.WITHDRAWAL, [row], body, now=now)
        return
    await _withdraw_here(session, stage, exchange, row, body.reason, now)


async def erase(session: AsyncSession, stage: Stager, exchange: Exchange, row: Repatriation, *, now: datetime) -> None:
    """The person's data was lawfully erased in identification: this side's copies go too. A return request
    the counterpart does not hold (not received yet, since it would carry the erased data, or refused) is
    withdrawn here, as a withdrawal would. A return under way goes on with what the counterpart holds."""
    request = await _held_request(session, row)
    if request is not None and request.status != "delivered" and row.state in BEFORE_HANDOVER:
        await _withdraw_here(session, stage, exchange, row, WithdrawalReason.OTHER, now)
    else:
        await _erase_person(session, [row])


async def _held_request(session: AsyncSession, row: Repatriation) -> CrossBorderOutbox | None:
    """The return request's place in the cross-border outbox (the destination side's), once no delivery of
    it can be under way."""
    await hold_courier(session, Country(row.counterpart))
    return (
        await session.exec(
            select(CrossBorderOutbox)
            .join(ChainLink, col(ChainLink.message_id) == col(CrossBorderOutbox.message_id))
            .where(ChainLink.reference == row.reference, ChainLink.sequence == 1)
            .with_for_update()
        )
    ).first()


async def _withdraw_here(
    session: AsyncSession,
    stage: Stager,
    exchange: Exchange,
    row: Repatriation,
    reason: WithdrawalReason,
    now: datetime,
) -> None:
    """A withdrawal of a return whose request never reached the counterpart: nothing to tell it, nor any
    message queued behind the request (a correction)."""
    row.state = next_state(State(row.state), Kind.WITHDRAWAL, {"reason": reason}, sender=Role(row.role)).value
    row.updated_at = now
    chain = select(ChainLink.message_id).where(ChainLink.reference == row.reference)
    await session.exec(
        update(CrossBorderOutbox)
        .where(col(CrossBorderOutbox.message_id).in_(chain), col(CrossBorderOutbox.status) == "pending")
        .values(status="withdrawn")
    )
    await _forget(session, [row])
    await stage(session, e.RepatriationWithdrawn(**_step(row, exchange, STEP[Kind.WITHDRAWAL], now), reason=reason))


COURIER_LOCK_NAMESPACE = 0x5C0C


async def hold_courier(session: AsyncSession, counterpart: Country, *, wait: bool = True) -> bool:
    """The lock on delivery to `counterpart`, held to the transaction's end: one replica's courier
    delivers at a time (two would send the same message twice), and a withdrawal waits for a delivery
    under way to finish before it looks at what the counterpart holds. Without `wait`, False if taken."""
    return await hold_lock(session, COURIER_LOCK_NAMESPACE, counterpart.value, wait=wait)


async def send(
    session: AsyncSession,
    stage: Stager,
    exchange: Exchange,
    kind: Kind,
    rows: Sequence[Repatriation],
    body: BaseModel,
    *,
    now: datetime,
) -> Message:
    """Sign `kind` for `rows`, apply it here, and queue it for the counterpart; a message that only repeats
    one already sent (`_repeated`) is that one, and nothing is signed."""
    counterparts = {row.counterpart for row in rows}
    if len(counterparts) != 1:
        raise StepRefused(Reason.STEP_NOT_ALLOWED, "one message goes to one counterpart")
    if any(Role(row.role) is not SENDER[kind] for row in rows):
        raise StepRefused(Reason.STEP_NOT_ALLOWED, f"a {kind} is sent by the {SENDER[kind].name.lower()} country")
    if (repeated := await _repeated(session, exchange, kind, rows, body)) is not None:
        return repeated
    message = Message(
        message_id=uuid.uuid4().hex,
        kind=kind,
        sop_step=STEP[kind],
        sender=exchange.country,
        receiver=Country(counterparts.pop()),
        sent_at=now,
        cases=[CaseLink(reference=r.reference, sequence=r.head_sequence + 1, previous=r.head_hash) for r in rows],
        body=body.model_dump(mode="json"),
    )
    jws = exchange.sign(message)
    await _apply(session, stage, exchange, message, jws, rows, direction="out", now=now)
    session.add(
        CrossBorderOutbox(
            message_id=message.message_id, counterpart=message.receiver.value, next_attempt_at=now, created_at=now
        )
    )
    await session.flush()
    return message


async def _repeated(
    session: AsyncSession, exchange: Exchange, kind: Kind, rows: Sequence[Repatriation], body: BaseModel
) -> Message | None:
    """The message sent before that `body` repeats (its answer lost on the way, an officer's second click), so
    that the counterpart is not told twice: a handover proposal the same as the one in force, or the same
    verification information as the case's latest message."""
    if isinstance(body, HandoverProposal):
        return await _proposal_in_force(session, exchange, rows, body)
    if kind is not Kind.VERIFICATION_INFORMATION:
        return None
    (row,) = rows
    answers = await stored_messages(session, exchange, row, kind)
    if not answers or answers[-1].body != body.model_dump(mode="json"):
        return None
    (link,) = (case for case in answers[-1].cases if case.reference == row.reference)
    return answers[-1] if link.sequence == row.head_sequence else None


async def _proposal_in_force(
    session: AsyncSession, exchange: Exchange, rows: Sequence[Repatriation], proposal: HandoverProposal
) -> Message | None:
    """The proposal these persons, and no others, are scheduled under, if it is `proposal` but for its id: the
    same day, gate and escorts. Sent again (its answer lost on the way, an officer's second click), a proposal
    is that one, not a postponement to the same day for the counterpart to schedule again."""
    handovers = {row.handover_id for row in rows}
    if len(handovers) != 1 or any(row.state != State.HANDOVER_SCHEDULED.value for row in rows):
        return None
    held = await session.exec(select(func.count()).where(Repatriation.handover_id == handovers.pop()))
    if held.one() != len({row.reference for row in rows}):
        return None
    proposals = await stored_messages(session, exchange, rows[0], Kind.HANDOVER_PROPOSAL)
    if not proposals or proposals[-1].typed_body.model_copy(update={"handover_id": proposal.handover_id}) != proposal:
        return None
    return proposals[-1]


# Receiving --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    message: Message
    status: ReceiptStatus


async def receive(
    session: AsyncSession, stage: Stager, exchange: Exchange, counterpart: Counterpart, jws: str, *, now: datetime
) -> Received:
    """Verify, check and apply one message from `counterpart`; ProtocolFault or StepRefused if refused
    (the caller rolls back). A message whose predecessor has not arrived is parked; a withdrawal that
    crossed this side's messages is applied after them."""
    message = open_message(jws, counterpart.keys)
    if message.sender is not counterpart.country or message.receiver is not exchange.country:
        raise ProtocolFault(Reason.WRONG_PARTY, "the message is not from this counterpart to this country")
    stored = await _stored_digest(session, exchange, message.message_id)
    if stored is not None:
        if stored != digest(jws):
            raise ProtocolFault(Reason.CONFLICTING_DUPLICATE, "another message was already received with this id")
        return Received(message, ReceiptStatus.DUPLICATE)
    if message.sent_at > now + CLOCK_SKEW:
        # A sender whose clock runs ahead (local time sent as UTC is seven hours ahead) would move deadlines.
        raise ProtocolFault(Reason.MALFORMED, "sent_at: after_receipt (the sender's clock runs ahead)")
    rows = await _rows_for(session, exchange, message, counterpart, now)
    if message.kind is Kind.WITHDRAWAL and not _follows(message.cases[0], rows[0]):
        # The two sides signed messages at the same place in the case's chain (they crossed), and the chains
        # parted: nothing later could follow them. A withdrawal ends the case whatever it crossed, so it
        # is applied after what this side holds; the messages it crossed are refused where it was sent.
        await _apply(session, stage, exchange, message, jws, rows, direction="in", now=now, after_head=True)
        return Received(message, ReceiptStatus.STORED)
    waiting = [
        link.reference for link, row in zip(message.cases, rows, strict=True) if link.sequence > row.head_sequence + 1
    ]
    if waiting:
        session.add(
            ParkedMessage(
                message_id=message.message_id,
                counterpart=counterpart.country.value,
                sealed_jws=exchange.sealer.seal(jws.encode(), message.message_id),
                waits_for=waiting,
                parked_at=now,
            )
        )
        await session.flush()
        return Received(message, ReceiptStatus.PARKED)
    for link, row in zip(message.cases, rows, strict=True):
        if not _follows(link, row):
            raise ProtocolFault(Reason.BROKEN_CHAIN, f"the message does not follow the chain of {link.reference}")
    await _apply(session, stage, exchange, message, jws, rows, direction="in", now=now)
    await _release_parked(session, stage, exchange, counterpart, now)
    return Received(message, ReceiptStatus.STORED)


def _follows(link: CaseLink, row: Repatriation) -> bool:
    return link.sequence == row.head_sequence + 1 and link.previous == row.head_hash


async def _stored_digest(session: AsyncSession, exchange: Exchange, message_id: str) -> str | None:
    known = await session.get(SopMessage, message_id)
    if known is not None:
        return known.digest
    parked = await session.get(ParkedMessage, message_id)
    if parked is not None:
        return digest(exchange.sealer.open(parked.sealed_jws, message_id).decode())
    return None


async def _rows_for(
    session: AsyncSession, exchange: Exchange, message: Message, counterpart: Counterpart, now: datetime
) -> list[Repatriation]:
    references = [link.reference for link in message.cases]
    found = await locked(session, references)
    if message.kind is Kind.RETURN_REQUEST:
        link = message.cases[0]
        if found or link.sequence != 1 or link.previous is not None:
            raise ProtocolFault(Reason.BROKEN_CHAIN, "a return request opens a new case's chain")
        request: ReturnRequest = message.typed_body
        return [
            Repatriation(
                reference=link.reference,
                case_id=f"case-{uuid.uuid4().hex}",
                role=Role.ORIGIN.value,
                counterpart=counterpart.country.value,
                state=State.REQUESTED.value,
                is_child=request.person.is_child,
                sealed_person=exchange.sealer.seal(request.person.model_dump_json().encode(), link.reference),
                created_at=now,
                updated_at=now,
            )
        ]
    missing = [reference for reference in references if reference not in found]
    if missing:
        raise ProtocolFault(Reason.UNKNOWN_CASE, f"no repatriation {missing[0]} is known here")
    if any(row.counterpart != counterpart.country.value for row in found.values()):
        raise ProtocolFault(Reason.WRONG_PARTY, "a case named belongs to another counterpart")
    return [found[reference] for reference in references]


async def _release_parked(
    session: AsyncSession, stage: Stager, exchange: Exchange, counterpart: Counterpart, now: datetime
) -> None:
    """Apply parked messages whose predecessors have now all arrived, as often as that unblocks more."""
    progress = True
    while progress:
        progress = False
        parked = (
            await session.exec(
                select(ParkedMessage)
                .where(ParkedMessage.counterpart == counterpart.country.value)
                .order_by(col(ParkedMessage.parked_at))
            )
        ).all()
        for held in parked:
            jws = exchange.sealer.open(held.sealed_jws, held.message_id).decode()
            message = open_message(jws, counterpart.keys)
            rows = await _rows_for(session, exchange, message, counterpart, now)
            ready = all(_follows(link, row) for link, row in zip(message.cases, rows, strict=True))
            if not ready:
                continue
            await session.delete(held)
            progress = True
            try:
                async with session.begin_nested():
                    await _apply(session, stage, exchange, message, jws, rows, direction="in", now=now)
            except (ProtocolFault, StepRefused) as refused:
                # Its sender already holds a "parked" receipt; the case simply does not advance, and
                # operators see why in the log.
                log.warning("parked message discarded", extra={"message_id": held.message_id, "reason": refused.reason})
