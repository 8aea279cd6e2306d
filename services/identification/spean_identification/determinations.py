"""The competent authority's determination (MoSVY), its optional co-signature (MoI police), consent
records, and the deadline scan."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import (
    CaseIdentified,
    ConsentRecorded,
    DeterminationMade,
    IdentificationDeadlineBreached,
    VulnerablePersonIdentified,
)
from spean_contracts.fields import EventData, local_day
from spean_contracts.vocabulary import Agency, ConsentPurpose, ExploitationType, Outcome
from spean_identification import ages, photos
from spean_identification.adapters.crypto import CaseKeys
from spean_identification.adapters.tables import AgeAssessment, CaseKey, Consent, Determination, Screening
from spean_identification.api.schemas import (
    ConsentIn,
    ConsentOut,
    DeterminationIn,
    DeterminationOut,
    DeterminationRead,
)
from spean_identification.breaches import tell_breaches
from spean_identification.domain.access import may_read_determination, needs_guardian
from spean_identification.domain.person import CHILD_UNTIL
from spean_identification.screenings import (
    audited,
    audited_read,
    contract_agency,
    first_screening,
    new_id,
    person_of,
)
from spean_identification.settings import IdentificationSettings
from spean_kit import audit
from spean_kit.auth import Forbidden, Principal
from spean_kit.errors import Problem, invalid_field
from spean_kit.service import Runtime
from spean_kit.workers import Job, Worker

log = logging.getLogger(__name__)

FINAL = "final"
AWAITING = "awaiting-co-signature"
CO_SIGNING_AGENCY = "MOI-AHTJP"
AGE_READ = "age read to tell whether a child's guardian must give the consent"


def _answer(determination: Determination) -> DeterminationOut:
    return DeterminationOut(
        case_id=determination.case_id,
        determination_id=determination.determination_id,
        outcome=Outcome(determination.outcome),
        status=determination.status,
        co_signed_by=determination.co_signed_by,
    )


def _final_events(
    determination: Determination, screening: Screening, assessed: AgeAssessment | None, now: datetime
) -> list[EventData]:
    exploitation = [ExploitationType(e) for e in determination.exploitation_types]
    events: list[EventData] = [
        DeterminationMade(
            case_id=determination.case_id,
            determination_id=determination.determination_id,
            outcome=Outcome(determination.outcome),
            exploitation_types=exploitation,
            agency=contract_agency(determination.agency),
            co_signed_by=Agency(determination.co_signed_by) if determination.co_signed_by else None,
            determined_at=now,
        )
    ]
    # An age assessed since the screening is the case's age.
    aged = assessed or screening
    profile = {
        "case_id": screening.case_id,
        "province": screening.province,
        "sex": screening.sex,
        "age_band": aged.age_band,
        "nationality": screening.nationality,
        "is_child": aged.is_child,
        "screening_agency": contract_agency(screening.agency),
        "identified_at": now,
    }
    if determination.outcome == Outcome.TRAFFICKING_VICTIM:
        events.append(CaseIdentified.model_validate({**profile, "exploitation_types": exploitation}))
    elif determination.outcome == Outcome.VULNERABLE_PERSON:
        events.append(VulnerablePersonIdentified.model_validate(profile))
    return events


def _sealed(keys: CaseKeys, wrapped: CaseKey | None, case_id: str, reasons: list[str]) -> bytes | None:
    """The grounds sealed with the case's key; none kept where the person's data was erased, as they would
    have been erased with it."""
    return None if wrapped is None else keys.encrypt(wrapped.wrapped_key, case_id, json.dumps(reasons).encode())


def _grounds(keys: CaseKeys, wrapped: CaseKey | None, determination: Determination) -> list[str]:
    """The grounds as written: opened with the case's key, or as an earlier release kept them until the
    service sealed them."""
    if determination.sealed_reasons is None:
        return determination.reasons
    if wrapped is None:
        return []
    opened: list[str] = json.loads(
        keys.decrypt(wrapped.wrapped_key, determination.case_id, determination.sealed_reasons)
    )
    return opened


async def determine(
    session: AsyncSession,
    runtime: Runtime,
    settings: IdentificationSettings,
    keys: CaseKeys,
    principal: Principal,
    case_id: str,
    body: DeterminationIn,
) -> DeterminationOut:
    if body.outcome == Outcome.TRAFFICKING_VICTIM and not body.exploitation_types:
        raise invalid_field(
            "body.exploitation_types",
            "min_length",
            "at least one",
            detail="a trafficking victim's determination names the exploitation",
        )
    screening = await first_screening(session, case_id)
    existing = await session.get(Determination, case_id)
    if existing is not None:
        raise Problem(
            409, "Conflict", f"the case is already determined ({existing.status})", extra={"current": existing.status}
        )
    now = datetime.now(UTC)
    determination = Determination(
        case_id=case_id,
        determination_id=new_id("det"),
        outcome=body.outcome,
        reasons=[],
        sealed_reasons=_sealed(keys, await session.get(CaseKey, case_id), case_id, body.reasons),
        exploitation_types=[str(e) for e in body.exploitation_types],
        determined_by=principal.subject,
        agency=principal.agency or "",
        status=AWAITING if settings.require_co_signature else FINAL,
        decided_at=now,
    )
    session.add(determination)
    await session.flush()
    if determination.status == FINAL:
        await runtime.stage(session, *_final_events(determination, screening, await ages.latest(session, case_id), now))
    return _answer(determination)


async def co_sign(session: AsyncSession, runtime: Runtime, principal: Principal, case_id: str) -> DeterminationOut:
    if principal.agency != CO_SIGNING_AGENCY:
        raise Forbidden("co-signature is given by the anti-trafficking police")
    determination = await session.get(Determination, case_id, with_for_update=True)
    if determination is None:
        raise Problem(404, "Not found", "no determination awaits co-signature for this case")
    if determination.status != AWAITING:
        raise Problem(
            409, "Conflict", f"the determination is {determination.status}", extra={"current": determination.status}
        )
    determination.status = FINAL
    determination.co_signed_by = CO_SIGNING_AGENCY
    session.add(determination)
    await session.flush()
    screening = await first_screening(session, case_id)
    assessed = await ages.latest(session, case_id)
    await runtime.stage(session, *_final_events(determination, screening, assessed, datetime.now(UTC)))
    return _answer(determination)


async def read(
    session: AsyncSession, keys: CaseKeys, principal: Principal, case_id: str, purpose: str | None
) -> DeterminationRead:
    """The case's determination with its grounds, for a purpose; audited in its first screening's trail either
    way. A refusal is committed before it is answered."""
    screening = await first_screening(session, case_id)
    determination = await session.get(Determination, case_id)
    if determination is None:
        raise Problem(404, "Not found", "the case is not determined yet")
    decision = may_read_determination(
        agency=principal.agency, roles=principal.roles, purpose=purpose, co_signing_agency=CO_SIGNING_AGENCY
    )
    await audited_read(session, principal, screening.screening_id, purpose, decision)
    return DeterminationRead(
        **_answer(determination).model_dump(),
        reasons=_grounds(keys, await session.get(CaseKey, case_id), determination),
        exploitation_types=[ExploitationType(e) for e in determination.exploitation_types],
        agency=determination.agency,
        decided_at=determination.decided_at,
    )


def sealing_written_grounds(keys: CaseKeys, *, batch: int = 500) -> Worker:
    """A worker that, once per start, seals the grounds an earlier release kept in plain text with their
    case's key (or empties them where the person's data was erased since), `batch` rows to a transaction."""

    async def seal_written_grounds(runtime: Runtime, stop: asyncio.Event) -> None:
        sealed = 0
        while not stop.is_set():
            async with runtime.sessions() as session, session.begin():
                # Replicas starting together seal different rows, not the same ones twice.
                written = (
                    await session.exec(
                        select(Determination, CaseKey)
                        .outerjoin(CaseKey, col(CaseKey.case_id) == col(Determination.case_id))
                        .where(col(Determination.sealed_reasons).is_(None))
                        .where(sa.func.jsonb_array_length(col(Determination.reasons)) > 0)
                        .limit(batch)
                        .with_for_update(of=Determination, skip_locked=True)
                    )
                ).all()
                for determination, wrapped in written:
                    determination.sealed_reasons = _sealed(keys, wrapped, determination.case_id, determination.reasons)
                    determination.reasons = []
                    session.add(determination)
            sealed += len(written)
            if len(written) < batch:
                break
        if sealed:
            log.info("determination grounds kept in plain text are sealed", extra={"sealed": sealed})
        await stop.wait()

    return seal_written_grounds


async def _still_a_child(
    session: AsyncSession,
    keys: CaseKeys,
    principal: Principal,
    screening: Screening,
    assessment: AgeAssessment | None,
    now: datetime,
) -> bool:
    """Whether a person last known a child is a child still: the age assessed, or else their birth date (or the
    estimated age), is read for that alone, and the read is audited."""
    wrapped = await session.get(CaseKey, screening.case_id)
    if wrapped is None:
        # Erased: the age last known is all that is left to go by.
        return True
    assessed = None if assessment is None else ages.assessed_age(keys, wrapped.wrapped_key, assessment)
    person = person_of(keys, wrapped.wrapped_key, screening)
    entry = audited(principal, screening.screening_id, now, "who may give consent", AGE_READ)
    await audit.append(session, entry)
    met_on = local_day(screening.encountered_at)
    return person.age_taken_on(local_day(now), met_on=met_on, assessed=assessed) < CHILD_UNTIL


async def record_consent(
    session: AsyncSession, runtime: Runtime, keys: CaseKeys, principal: Principal, case_id: str, body: ConsentIn
) -> ConsentOut:
    screening = await first_screening(session, case_id)
    now = datetime.now(UTC)
    assessment = await ages.latest(session, case_id)
    in_question = needs_guardian(
        given=body.given,
        by_guardian=body.given_by == "guardian",
        known_as_child=(assessment or screening).is_child,
    )
    if in_question and await _still_a_child(session, keys, principal, screening, assessment, now):
        # The age read stays in the audit trail though the consent is refused.
        await session.commit()
        raise invalid_field("body.given_by", "guardian_required", "a child's consent is given by a parent or guardian")
    consent = Consent(
        case_id=case_id,
        purpose=body.purpose,
        given=body.given,
        given_by=body.given_by,
        recorded_by=principal.subject,
        agency=principal.agency or "",
        recorded_at=now,
    )
    session.add(consent)
    await session.flush()
    if body.purpose == ConsentPurpose.IMAGES and not body.given:
        await photos.withdrawn(session, principal, case_id)
    await runtime.stage(
        session,
        ConsentRecorded(
            case_id=case_id,
            purpose=body.purpose,
            given=body.given,
            agency=contract_agency(consent.agency),
            recorded_at=consent.recorded_at,
        ),
    )
    return ConsentOut.model_validate(consent, from_attributes=True)


async def current_consents(session: AsyncSession, case_id: str) -> list[ConsentOut]:
    """The latest record per purpose: a withdrawal supersedes the consent before it."""
    await first_screening(session, case_id)
    rows = (await session.exec(select(Consent).where(Consent.case_id == case_id).order_by(col(Consent.id)))).all()
    latest = {row.purpose: row for row in rows}
    return [ConsentOut.model_validate(row, from_attributes=True) for row in latest.values()]


async def breach_scan(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
    """Screenings past their determination deadline and still undetermined: one breach event each, MoSVY's."""
    overdue = (
        select(Screening)
        .where(col(Screening.determination_due) < now)
        .where(col(Screening.deadline_breached).is_(False))
        .where(col(Screening.case_id).not_in(select(Determination.case_id)))
    )
    return await tell_breaches(
        session,
        runtime,
        overdue,
        lambda s: IdentificationDeadlineBreached(
            case_id=s.case_id, stage="determination", agency=Agency.MOSVY, due_at=s.determination_due, breached_at=now
        ),
    )


def co_signature_scan(hours: float) -> Job:
    """A periodic job: determinations awaiting the police's co-signature `hours` after they were made, one
    breach event each, the police's. Until then the person is not identified, and no service acts for them."""
    wait = timedelta(hours=hours)

    async def co_signature_breach_scan(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
        overdue = (
            select(Determination)
            .where(Determination.status == AWAITING)
            .where(col(Determination.decided_at) < now - wait)
            .where(col(Determination.deadline_breached).is_(False))
        )
        return await tell_breaches(
            session,
            runtime,
            overdue,
            lambda d: IdentificationDeadlineBreached(
                case_id=d.case_id,
                stage="co-signature",
                agency=Agency.MOI_POLICE,
                due_at=d.decided_at + wait,
                breached_at=now,
            ),
        )

    return co_signature_breach_scan
