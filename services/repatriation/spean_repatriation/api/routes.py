"""The repatriation service's domestic API: this country's officers drive their side of the SOP.
Each action signs a message, applies it here and queues it for the counterpart, in one transaction."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AfterValidator, BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.fields import LocalId
from spean_contracts.sop import (
    Consent,
    Feedback,
    HandoverMinutes,
    HandoverProposal,
    IdentityCorrection,
    Kind,
    Message,
    Person,
    Photo,
    ProtocolFault,
    Refusal,
    ReturnCertificate,
    ReturnRequest,
    Role,
    VerificationInformation,
    VerificationRequest,
    VerificationResult,
    Withdrawal,
)
from spean_kit import audit, images
from spean_kit.auth import Principal, require_roles
from spean_kit.errors import Problem, invalid_field, stated_purpose
from spean_kit.outbox import Stager
from spean_kit.pages import PAGED_HEADERS, Keyset, PageOf
from spean_kit.service import runtime_of
from spean_repatriation import exchange as sop
from spean_repatriation.adapters.tables import ChainLink, CrossBorderOutbox, PersonRead, Repatriation, SopMessage
from spean_repatriation.api.schemas import (
    AcceptanceIn,
    CertificateIn,
    HandoverIn,
    HandoverOut,
    MessageOut,
    MinutesIn,
    PersonCorrectionIn,
    PersonReadOut,
    RepatriationOut,
    ReturnRequestIn,
    VerificationInformationIn,
    VerificationInformationOut,
)
from spean_repatriation.domain.procedure import LocalStep, State, StepRefused, local_step

router = APIRouter(tags=["repatriation"])
Officer = Annotated[Principal, Depends(require_roles("repatriation-officer"))]
Reader = Annotated[Principal, Depends(require_roles("repatriation-officer", "auditor"))]
Auditor = Annotated[Principal, Depends(require_roles("auditor"))]
Purpose = Annotated[
    str,
    Query(max_length=200, description="Why the data is read, in five characters or more besides spaces; audited."),
    AfterValidator(stated_purpose),
]


def _exchange(request: Request) -> sop.Exchange:
    exchange: sop.Exchange = request.app.state.exchange
    return exchange


def _refused(refused: StepRefused | ProtocolFault) -> Problem:
    """409: the SOP does not allow the step now, or as asked; where a field of the request breaks its rule,
    the answer names it as a validation error does."""
    errors = []
    if isinstance(refused, StepRefused) and refused.field is not None:
        errors = [{"path": f"body.{refused.field}", "rule": refused.rule, "message": refused.detail}]
    return Problem(409, "Step not allowed", refused.detail, kind=f"sop-{refused.reason.value}", errors=errors)


def _presumed_child(presumed: sop.PresumedChild) -> Problem:
    return invalid_field("body.person.is_child", "child_by_identification", str(presumed), detail=str(presumed))


async def _cases(session: AsyncSession, references: Sequence[str]) -> list[Repatriation]:
    found = await sop.locked(session, references)
    missing = [reference for reference in references if reference not in found]
    if missing:
        raise Problem(404, "Not found", f"no repatriation {missing[0]}")
    return [found[reference] for reference in references]


async def _act(request: Request, kind: Kind, references: Sequence[str], body: BaseModel) -> Message:
    runtime, exchange = runtime_of(request), _exchange(request)
    try:
        async with runtime.sessions() as session, session.begin():
            rows = await _cases(session, references)
            message = await sop.send(session, runtime.stage, exchange, kind, rows, body, now=datetime.now(UTC))
    except (StepRefused, ProtocolFault) as refused:
        raise _refused(refused) from None
    return message


class CaseStep(Protocol):
    async def __call__(
        self,
        session: AsyncSession,
        stage: Stager,
        exchange: sop.Exchange,
        row: Repatriation,
        body: Any,
        /,
        *,
        now: datetime,
    ) -> None: ...


async def _on_case(request: Request, reference: str, step: CaseStep, body: BaseModel) -> RepatriationOut:
    """A step on one return that is more than a message signed (a withdrawal, a correction), in one
    transaction: 409 if the SOP refuses it."""
    runtime = runtime_of(request)
    try:
        async with runtime.sessions() as session, session.begin():
            (row,) = await _cases(session, [reference])
            await step(session, runtime.stage, _exchange(request), row, body, now=datetime.now(UTC))
    except (StepRefused, ProtocolFault) as refused:
        raise _refused(refused) from None
    except sop.PresumedChild as presumed:
        raise _presumed_child(presumed) from None
    return await _show(request, reference)


async def _outs(session: AsyncSession, rows: Sequence[Repatriation]) -> list[RepatriationOut]:
    """The returns as answered, each with its chain of messages, all read in one query."""
    found = (
        await session.exec(
            select(ChainLink.reference, SopMessage, CrossBorderOutbox)
            .join(ChainLink, col(ChainLink.message_id) == col(SopMessage.message_id))
            .outerjoin(CrossBorderOutbox, col(CrossBorderOutbox.message_id) == col(SopMessage.message_id))
            .where(col(ChainLink.reference).in_([row.reference for row in rows]))
            .order_by(col(ChainLink.sequence))
        )
    ).all()
    chains: dict[str, list[MessageOut]] = {row.reference: [] for row in rows}
    for reference, message, entry in found:
        chains[reference].append(
            MessageOut(
                message_id=message.message_id,
                kind=message.kind,
                sop_step=message.sop_step,
                direction=message.direction,
                digest=message.digest,
                sent_at=message.sent_at,
                delivery=entry.status if entry else None,
                refusal_reason=entry.refusal_reason if entry else None,
            )
        )
    return [
        RepatriationOut.model_validate(row, from_attributes=True).model_copy(update={"messages": chains[row.reference]})
        for row in rows
    ]


async def _show(request: Request, reference: LocalId) -> RepatriationOut:
    async with runtime_of(request).sessions() as session:
        row = await session.get(Repatriation, reference)
        if row is None:
            raise Problem(404, "Not found", f"no repatriation {reference}")
        (shown,) = await _outs(session, [row])
        return shown


@router.post(
    "/repatriations",
    status_code=201,
    response_model=RepatriationOut,
    responses={
        409: {
            "description": "`return-under-way`: a return of the case is under way (its `reference` and `current` "
            "state); `sop-safeguards-missing`: a child's consent given by the child alone, not a guardian."
        }
    },
)
async def request_return(body: ReturnRequestIn, request: Request, officer: Officer) -> RepatriationOut:
    """SOP step 4, as the country where the person was found: ask the origin country to take them back. A
    person identification knows as a child, who may still be one, goes as a child with a child's safeguards
    (422, rule `child_by_identification`), unless the birth date a document shows makes them an adult."""
    if body.consent is None:
        raise invalid_field(
            "body.consent",
            "consent-required",
            "sharing-cross-border consent",
            detail="no personal data crosses the border without consent for that purpose",
        )
    runtime, exchange = runtime_of(request), _exchange(request)
    consent = Consent.model_validate(body.consent.model_dump())
    payload = ReturnRequest(person=body.person, consent=consent, exploitation_types=body.exploitation_types)
    try:
        async with runtime.sessions() as session, session.begin():
            row = await sop.request_return(
                session,
                runtime.stage,
                exchange,
                case_id=body.case_id,
                origin=body.origin_country,
                request=payload,
                now=datetime.now(UTC),
            )
            reference = row.reference
    except ProtocolFault as fault:
        raise invalid_field("body.origin_country", "counterpart", fault.detail, detail=fault.detail) from None
    except StepRefused as refused:
        raise _refused(refused) from None
    except sop.PresumedChild as presumed:
        raise _presumed_child(presumed) from None
    except sop.ReturnUnderWay as under_way:
        # The reference lets a caller that retried find the return its first request started.
        raise Problem(
            409,
            "Conflict",
            str(under_way),
            kind="return-under-way",
            extra={"reference": under_way.reference, "current": under_way.state},
        ) from None
    return await _show(request, reference)


LISTED = Keyset((col(Repatriation.created_at), col(Repatriation.reference)))


@router.get("/repatriations", response_model=list[RepatriationOut], responses={200: {"headers": PAGED_HEADERS}})
async def list_repatriations(
    request: Request,
    response: Response,
    reader: Reader,
    page: PageOf,
    state: Annotated[State | None, Query()] = None,
    identity_changed: Annotated[
        bool | None,
        Query(description="`true`: only the returns whose person identification changed since it was sent across."),
    ] = None,
) -> list[RepatriationOut]:
    """Returns in the order they began, a page at a time (follow the `Link` header), in one state if asked."""
    query = select(Repatriation)
    if state is not None:
        query = query.where(Repatriation.state == state.value)
    if identity_changed is not None:
        changed = col(Repatriation.identity_changed_at)
        query = query.where(changed.is_not(None) if identity_changed else changed.is_(None))
    async with runtime_of(request).sessions() as session:
        return await _outs(session, await LISTED.read(session, query, page, request, response))


@router.get("/repatriations/{reference}", response_model=RepatriationOut)
async def read_repatriation(reference: LocalId, request: Request, reader: Reader) -> RepatriationOut:
    return await _show(request, reference)


# Documented, not re-validated: the person was validated when the request or message brought it.
@router.get("/repatriations/{reference}/person", responses={200: {"model": Person}})
async def read_person(
    reference: LocalId,
    request: Request,
    officer: Officer,
    purpose: Purpose,
) -> dict[str, Any]:
    """The minimum personal data exchanged for this return, as last corrected; every read is recorded with its
    purpose."""
    runtime, exchange = runtime_of(request), _exchange(request)
    async with runtime.sessions() as session, session.begin():
        row = await _read_of_person(session, reference, officer, purpose)
        assert row.sealed_person is not None
        person: dict[str, Any] = json.loads(exchange.sealer.open(row.sealed_person, reference))
    return person


async def _read_of_person(session: AsyncSession, reference: str, officer: Principal, purpose: str) -> Repatriation:
    """The return whose person's data an officer reads, the read recorded with its purpose: 410 once the
    data is erased, the refused read recorded too."""
    row = await session.get(Repatriation, reference)
    if row is None:
        raise Problem(404, "Not found", f"no repatriation {reference}")
    erased = row.sealed_person is None
    await audit.append(
        session,
        PersonRead(
            reference=reference,
            subject=officer.subject,
            agency=officer.agency,
            purpose=purpose,
            read_at=datetime.now(UTC),
            granted=not erased,
        ),
    )
    if erased:
        # The refusal is audited too: committed before the answer, which rolls back what is left.
        await session.commit()
        raise Problem(
            410, "Erased", "the person's data was erased here: the return was withdrawn, or the data lawfully erased"
        )
    return row


@router.put(
    "/repatriations/{reference}/person",
    response_model=RepatriationOut,
    responses={
        409: {
            "description": "`sop-step-not-allowed`: the counterpart has given its verification result (withdraw the "
            "return and ask again), or the person's data was erased; `sop-safeguards-missing`: a child's "
            "data on the child's own consent, not a guardian's."
        }
    },
)
async def correct_person(
    reference: LocalId, body: PersonCorrectionIn, request: Request, officer: Officer
) -> RepatriationOut:
    """Destination country, until the counterpart gives its verification result: the person's data the
    return request carried was wrong (a name mistyped, a birth date read from a verified document). The
    whole corrected person crosses, and the counterpart verifies it instead. Sent again, it is not sent twice.
    Identification's knowledge of a child holds as for the request (422, rule `child_by_identification`)."""
    correction = IdentityCorrection(
        person=body.person, consent=Consent.model_validate(body.consent.model_dump()), reason=body.reason
    )
    return await _on_case(request, reference, sop.correct, correction)


READS = Keyset((col(PersonRead.id),))


@router.get("/audit", response_model=list[PersonReadOut], responses={200: {"headers": PAGED_HEADERS}})
async def read_audit(
    request: Request,
    response: Response,
    auditor: Auditor,
    page: PageOf,
    narrowing: audit.Narrowed,
    reference: Annotated[LocalId | None, Query()] = None,
    granted: Annotated[bool | None, Query(description="`false`: only the reads refused.")] = None,
) -> list[PersonReadOut]:
    """Every read of a person's data exchanged for a return, oldest first, a page at a time (follow the
    `Link` header), of one return if asked."""
    query = audit.narrowed(select(PersonRead), PersonRead, narrowing, at="read_at")
    if reference is not None:
        query = query.where(PersonRead.reference == reference)
    if granted is not None:
        query = query.where(PersonRead.granted == granted)
    async with runtime_of(request).sessions() as session:
        shown = await READS.read(session, query, page, request, response)
    return [PersonReadOut.model_validate(row, from_attributes=True) for row in shown]


@router.post("/repatriations/{reference}/verification-request", response_model=RepatriationOut)
async def start_verification(
    reference: LocalId, body: VerificationRequest, request: Request, officer: Officer
) -> RepatriationOut:
    """SOP step 5, origin country: verification has started (and what it needs from the other side)."""
    await _act(request, Kind.VERIFICATION_REQUEST, [reference], body)
    return await _show(request, reference)


@router.post("/repatriations/{reference}/verification-information", response_model=RepatriationOut)
async def send_verification_information(
    reference: LocalId, body: VerificationInformationIn, request: Request, officer: Officer
) -> RepatriationOut:
    """SOP step 5, destination country: what the origin country asked for in its verification request (a
    statement, a family contact, documents, a photo with the person's consent to images, a guardian's for a
    child, or 409 `sop-safeguards-missing`), and nothing it did not ask for (409 `sop-not-asked`). It is the
    person's data: erased with it on a withdrawal or a lawful erasure. A photo crosses as its pixels alone:
    what the phone wrote into the file (where and when it was taken, the device) is dropped before the
    message is signed. The same answer sent again (its answer lost on the way) crosses once."""
    if body.photo is not None:
        body = body.model_copy(update={"photo": _pixels_only(body.photo)})
    await _act(request, Kind.VERIFICATION_INFORMATION, [reference], body)
    return await _show(request, reference)


def _pixels_only(photo: Photo) -> Photo:
    try:
        data = base64.b64decode(photo.data, validate=True)
    except binascii.Error:
        raise invalid_field("body.photo.data", "base64", "not base64 of whole bytes") from None
    # The contract already bounds the photo's size, as base64 text.
    image = images.kept(photo.media_type, data, max_bytes=len(data))
    if isinstance(image, images.Refusal):
        raise invalid_field("body.photo.data", image.rule, image.message)
    return photo.model_copy(update={"data": base64.b64encode(image.image).decode()})


@router.get("/repatriations/{reference}/verification-information", response_model=list[VerificationInformationOut])
async def read_verification_information(
    reference: LocalId,
    request: Request,
    officer: Officer,
    purpose: Purpose,
) -> list[VerificationInformationOut]:
    """What the destination country answered to the verification request, oldest first; every read is
    recorded with its purpose, as a read of the person's data."""
    runtime, exchange = runtime_of(request), _exchange(request)
    async with runtime.sessions() as session, session.begin():
        row = await _read_of_person(session, reference, officer, purpose)
        answers = await sop.stored_messages(session, exchange, row, Kind.VERIFICATION_INFORMATION)
    return [
        VerificationInformationOut(
            message_id=answer.message_id,
            sent_at=answer.sent_at,
            information=VerificationInformation.model_validate(answer.body),
        )
        for answer in answers
    ]


@router.post("/repatriations/{reference}/verification-result", response_model=RepatriationOut)
async def record_verification_result(
    reference: LocalId, body: VerificationResult, request: Request, officer: Officer
) -> RepatriationOut:
    await _act(request, Kind.VERIFICATION_RESULT, [reference], body)
    return await _show(request, reference)


@router.post("/repatriations/{reference}/acceptance", response_model=RepatriationOut)
async def accept_return(reference: LocalId, body: AcceptanceIn, request: Request, officer: Officer) -> RepatriationOut:
    """SOP step 6, origin country. A child's return needs a best-interest assessment and a carer's agreement."""
    await _act(request, Kind.ACCEPTANCE, [reference], body)
    return await _show(request, reference)


@router.post("/repatriations/{reference}/refusal", response_model=RepatriationOut)
async def refuse_return(reference: LocalId, body: Refusal, request: Request, officer: Officer) -> RepatriationOut:
    await _act(request, Kind.REFUSAL, [reference], body)
    return await _show(request, reference)


@router.post("/repatriations/{reference}/withdrawal", response_model=RepatriationOut)
async def withdraw_return(reference: LocalId, body: Withdrawal, request: Request, officer: Officer) -> RepatriationOut:
    """Destination country, until the handover: the person withdrew consent to cross-border sharing, or no
    longer wishes to return. The counterpart is told, and both sides erase the person's data; if the
    return request never reached the counterpart, it is not sent at all."""
    return await _on_case(request, reference, sop.withdraw, body)


@router.post("/handovers", status_code=201, response_model=HandoverOut)
async def propose_handover(body: HandoverIn, request: Request, officer: Officer) -> HandoverOut:
    """SOP step 7, destination country: one date, one gate, a batch of persons, signed once. Persons whose
    handover is already scheduled move to this one (a postponement, another gate), with the same notice;
    their earlier handover goes on for the persons it still names. The same proposal sent again for the same
    persons (its answer lost on the way) answers the handover in force, and nothing more crosses."""
    proposal = HandoverProposal(
        handover_id=f"handover-{uuid.uuid4().hex[:16]}",
        border_gate=body.border_gate,
        handover_date=body.handover_date,
        escorts=body.escorts,
    )
    message = await _act(request, Kind.HANDOVER_PROPOSAL, body.references, proposal)
    return HandoverOut(
        handover_id=message.typed_body.handover_id, references=body.references, message_id=message.message_id
    )


async def _handover(request: Request, handover_id: LocalId) -> tuple[list[str], str]:
    async with runtime_of(request).sessions() as session:
        rows = (await session.exec(select(Repatriation).where(Repatriation.handover_id == handover_id))).all()
    if not rows:
        raise Problem(404, "Not found", f"no handover {handover_id}")
    return sorted(row.reference for row in rows), str(rows[0].border_gate)


@router.post("/handovers/{handover_id}/minutes", response_model=HandoverOut)
async def sign_minutes(handover_id: LocalId, body: MinutesIn, request: Request, officer: Officer) -> HandoverOut:
    """SOP step 8: the handover minutes for every person of the handover; `case.repatriated` follows."""
    references, gate = await _handover(request, handover_id)
    minutes = HandoverMinutes.model_validate(
        {"handover_id": handover_id, "border_gate": gate, "handed_over_at": body.handed_over_at}
    )
    message = await _act(request, Kind.HANDOVER_MINUTES, references, minutes)
    return HandoverOut(handover_id=handover_id, references=references, message_id=message.message_id)


@router.post("/handovers/{handover_id}/certificate", response_model=HandoverOut)
async def issue_certificate(
    handover_id: LocalId, body: CertificateIn, request: Request, officer: Officer
) -> HandoverOut:
    """SOP step 8, origin country: return certificates issued on the spot."""
    references, _ = await _handover(request, handover_id)
    certificate = ReturnCertificate(handover_id=handover_id, issued_on=body.issued_on)
    message = await _act(request, Kind.RETURN_CERTIFICATE, references, certificate)
    return HandoverOut(handover_id=handover_id, references=references, message_id=message.message_id)


@router.post("/repatriations/{reference}/local-steps/{step}", response_model=RepatriationOut)
async def record_local_step(reference: LocalId, step: LocalStep, request: Request, officer: Officer) -> RepatriationOut:
    """SOP steps 9 and 10 in the origin country (reception, reintegration): recorded here, never sent."""
    async with runtime_of(request).sessions() as session, session.begin():
        rows = await _cases(session, [reference])
        try:
            rows[0].state = local_step(State(rows[0].state), step, Role(rows[0].role)).value
        except StepRefused as refused:
            raise _refused(refused) from None
        rows[0].updated_at = datetime.now(UTC)
        session.add(rows[0])
    return await _show(request, reference)


@router.post("/repatriations/{reference}/feedback", response_model=RepatriationOut)
async def record_feedback(reference: LocalId, body: Feedback, request: Request, officer: Officer) -> RepatriationOut:
    """SOP step 11, origin country: the outcome, told back to the destination country."""
    await _act(request, Kind.FEEDBACK, [reference], body)
    return await _show(request, reference)
