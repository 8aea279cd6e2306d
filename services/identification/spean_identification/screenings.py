"""Use cases of identification: record screenings, read them under the access rule, share them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import PersonalDataErased, ScreeningRecorded
from spean_contracts.fields import local_day
from spean_contracts.vocabulary import Agency, ConsentPurpose, Continuum, Encounter, Outcome, Province
from spean_identification.adapters.crypto import CaseKeys
from spean_identification.adapters.tables import AccessAudit, CaseKey, Consent, Photo, Screening, Share
from spean_identification.api.schemas import PhotoOut, ScreeningIn, ScreeningOut, ScreeningRead
from spean_identification.domain.access import (
    ERASED,
    MANY_ORGANISATIONS,
    Decision,
    Grant,
    LatestConsent,
    consent_in_force,
    may_read,
    owner_or_authority,
    share_reason,
    unless_erased,
)
from spean_identification.domain.assessment import assess
from spean_identification.domain.deadlines import determination_due
from spean_identification.domain.indicators import Indicators
from spean_identification.domain.matchkeys import generation, match_keys
from spean_identification.domain.person import CHILD_UNTIL, Person, age_band
from spean_identification.returns import NotReceivable, receivable, returnees
from spean_identification.settings import IdentificationSettings
from spean_kit import audit
from spean_kit.auth import Forbidden, Principal
from spean_kit.errors import Problem, invalid_field, purpose_required
from spean_kit.outbox import Stager
from spean_kit.service import Runtime


def agency_of(principal: Principal) -> str:
    if not principal.agency:
        raise Forbidden("the token carries no agency")
    return principal.agency


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


async def record_screenings(
    session: AsyncSession,
    runtime: Runtime,
    settings: IdentificationSettings,
    keys: CaseKeys,
    principal: Principal,
    screenings: Sequence[ScreeningIn],
) -> list[ScreeningOut | NotReceivable]:
    """Records each screening as a new pseudonymous case, or as the case of the return it names; stages a
    screening-recorded event for each. A screening naming a return it cannot continue is not recorded:
    its place in the answer says why."""
    agency = agency_of(principal)
    now = datetime.now(UTC)
    answers: list[ScreeningOut | NotReceivable] = []
    events: list[ScreeningRecorded] = []
    arrived = await returnees(session, {s.repatriation_id for s in screenings if s.repatriation_id is not None})
    secret = settings.match_secret_bytes
    made_under = generation(secret)
    for screening in screenings:
        case_id, screening_id = new_id("case"), new_id("scr")
        if screening.repatriation_id is not None:
            returnee = receivable(arrived.get(screening.repatriation_id), screening.repatriation_id)
            if isinstance(returnee, NotReceivable):
                answers.append(returnee)
                continue
            case_id, returnee.screening_id = returnee.case_id, screening_id
            session.add(returnee)
        person = screening.person
        met_on = local_day(screening.encountered_at)
        age = person.age_taken_on(met_on, met_on=met_on)
        is_child = age < CHILD_UNTIL
        band = age_band(age)
        assessment = assess(screening.indicators, is_child=is_child, continuum=screening.continuum)
        wrapped = keys.new_wrapped_key(case_id)
        private = {
            "person": person.model_dump(mode="json"),
            "location": screening.location,
            "notes": screening.notes,
        }
        due = determination_due(now, settings.determination_deadline_hours)
        session.add(CaseKey(case_id=case_id, wrapped_key=wrapped))
        session.add(
            Screening(
                screening_id=screening_id,
                case_id=case_id,
                agency=agency,
                officer=principal.subject,
                encounter=screening.encounter,
                encountered_at=screening.encountered_at,
                province=screening.province,
                sex=person.sex,
                age_band=band,
                nationality=person.nationality,
                is_child=is_child,
                continuum=screening.continuum,
                indicators=screening.indicators.model_dump(mode="json"),
                suggested_outcome=assessment.suggested,
                reasons=list(assessment.reasons),
                personal_data=keys.encrypt(wrapped, case_id, json.dumps(private).encode()),
                match_key_generation=made_under,
                determination_due=due,
                recorded_at=now,
            )
        )
        events.append(
            ScreeningRecorded(
                case_id=case_id,
                screening_id=screening_id,
                agency=contract_agency(agency),
                encounter=screening.encounter,
                province=screening.province,
                sex=person.sex,
                age_band=band,
                nationality=person.nationality,
                is_child=is_child,
                continuum=screening.continuum,
                indicators_present=screening.indicators.count,
                suggested_outcome=assessment.suggested,
                match_keys=match_keys(person, secret, screened_on=met_on),
                screened_at=now,
            )
        )
        answers.append(
            ScreeningOut(
                screening_id=screening_id,
                case_id=case_id,
                suggested_outcome=assessment.suggested,
                reasons=list(assessment.reasons),
                determination_due=due,
            )
        )
    await session.flush()
    await runtime.stage(session, *events)
    return answers


def contract_agency(agency: str) -> Agency:
    """Agencies outside the contract's list (a new NGO) are reported under the generic NGO code."""
    try:
        return Agency(agency)
    except ValueError:
        return Agency.NGO


def erased() -> Problem:
    return Problem(410, "Erased", "this case's personal data was erased")


async def first_screening(session: AsyncSession, case_id: str) -> Screening:
    found = (
        await session.exec(select(Screening).where(Screening.case_id == case_id).order_by(col(Screening.recorded_at)))
    ).first()
    if found is None:
        raise Problem(404, "Not found", "no such case")
    return found


def suggest_again(screening: Screening, *, child_when_met: bool) -> None:
    """The preliminary assessment made again for what is now known of the person's age on the day they were
    met (a correction, an age assessment): for a child, act and purpose suffice, and the suggestion and its
    reasons say so. It stays a suggestion: the determination is MoSVY's."""
    again = assess(
        Indicators.model_validate(screening.indicators),
        is_child=child_when_met,
        continuum=Continuum(screening.continuum),
    )
    screening.suggested_outcome, screening.reasons = again.suggested, list(again.reasons)


async def screening_of(session: AsyncSession, screening_id: str) -> Screening:
    found = await session.get(Screening, screening_id)
    if found is None:
        raise Problem(404, "Not found", "no such screening")
    return found


@dataclass(frozen=True)
class Opened:
    """A screening its reader may read the person's data of, the case's key, and whether the photo too."""

    screening: Screening
    wrapped: CaseKey
    sees_photo: bool


async def opened(
    session: AsyncSession, principal: Principal, screening_id: str, purpose: str | None, *, photo: bool = False
) -> Opened:
    """The screening and its case key, if the access rule lets the principal read its person's data (with
    `photo`, the photo on its own) for `purpose`; audited either way. A refusal is committed before it is
    answered."""
    screening = await screening_of(session, screening_id)
    share_row = await _share_with(session, screening_id, principal)
    grant = (
        None
        if share_row is None
        else Grant(share_row.shared_at, share_row.override_reason is not None, includes_photo=share_row.with_photo)
    )
    consent = await latest_consent(session, screening.case_id, ConsentPurpose.SHARING_AGENCIES)

    def rule(*, photo: bool) -> Decision:
        return may_read(
            agency=principal.agency,
            roles=principal.roles,
            purpose=purpose,
            owner=screening.agency,
            grant=grant,
            consent=consent,
            photo=photo,
        )

    wrapped = await session.get(CaseKey, screening.case_id)
    decision = unless_erased(rule(photo=photo), erased=wrapped is None)
    reason = f"{decision.reason} (photo)" if photo else decision.reason
    entry = audited(principal, screening_id, datetime.now(UTC), purpose, reason, granted=decision.granted)
    await audit.append(session, entry)
    if not decision.granted or wrapped is None:
        await session.commit()
        if decision.reason == ERASED:
            raise erased()
        raise read_refused(decision)
    return Opened(screening, wrapped, sees_photo=rule(photo=True).granted)


def private_of(keys: CaseKeys, wrapped_key: bytes, screening: Screening) -> dict[str, Any]:
    """The screening's sealed part (the person, the place, the notes), opened with its case's key."""
    private: dict[str, Any] = json.loads(keys.decrypt(wrapped_key, screening.case_id, screening.personal_data))
    return private


def person_of(keys: CaseKeys, wrapped_key: bytes, screening: Screening) -> Person:
    """The person the screening recorded, opened with its case's key."""
    return Person.model_validate(private_of(keys, wrapped_key, screening)["person"])


async def read_screening(
    session: AsyncSession, keys: CaseKeys, principal: Principal, screening_id: str, purpose: str | None
) -> ScreeningRead:
    """The whole screening with its personal data, if the access rule allows; audited either way."""
    read = await opened(session, principal, screening_id, purpose)
    screening = read.screening
    private = private_of(keys, read.wrapped.wrapped_key, screening)
    photo = await session.get(Photo, screening_id) if read.sees_photo else None
    return ScreeningRead(
        screening_id=screening.screening_id,
        case_id=screening.case_id,
        suggested_outcome=Outcome(screening.suggested_outcome),
        reasons=screening.reasons,
        determination_due=screening.determination_due,
        agency=screening.agency,
        encounter=Encounter(screening.encounter),
        encountered_at=screening.encountered_at,
        province=Province(screening.province),
        location=private["location"],
        person=Person.model_validate(private["person"]),
        indicators=Indicators.model_validate(screening.indicators),
        continuum=Continuum(screening.continuum),
        notes=private["notes"],
        photo=None if photo is None else PhotoOut.model_validate(photo, from_attributes=True),
    )


def audited(
    principal: Principal, screening_id: str, at: datetime, purpose: str | None, reason: str, *, granted: bool = True
) -> AccessAudit:
    """An entry of the screening's audit trail: who touched the person's data, when, why, and with what answer."""
    return AccessAudit(
        at=at,
        subject=principal.subject,
        agency=principal.agency or "",
        screening_id=screening_id,
        purpose=purpose,
        granted=granted,
        reason=reason,
    )


def read_refused(decision: Decision) -> Problem:
    """The answer to a refused read: 422 for want of a stated purpose, 403 for a reader the rule turns away."""
    if "purpose" in decision.reason:
        return purpose_required(decision.reason)
    return Problem(403, "Read refused", decision.reason, kind="read-refused")


async def audited_read(
    session: AsyncSession, principal: Principal, screening_id: str, purpose: str | None, decision: Decision
) -> None:
    """A read of a case's record decided: audited in the screening's trail either way, and a refusal committed
    before it is answered, so that the trail keeps it."""
    entry = audited(principal, screening_id, datetime.now(UTC), purpose, decision.reason, granted=decision.granted)
    await audit.append(session, entry)
    if not decision.granted:
        await session.commit()
        raise read_refused(decision)


async def latest_consent(session: AsyncSession, case_id: str, purpose: ConsentPurpose) -> LatestConsent | None:
    """The victim's latest word on `purpose`: consent given, or withdrawn."""
    latest = (
        await session.exec(
            select(Consent)
            .where(Consent.case_id == case_id, Consent.purpose == purpose)
            .order_by(col(Consent.id).desc())
            .limit(1)
        )
    ).first()
    return None if latest is None else LatestConsent(latest.given, latest.recorded_at)


async def _share_with(session: AsyncSession, screening_id: str, principal: Principal) -> Share | None:
    """The latest share of the screening with the principal's organisation, or with its whole agency where
    the agency is one organisation."""
    names_them = col(Share.organisation) == principal.organisation
    whole_agency = col(Share.organisation).is_(None) & (principal.agency not in MANY_ORGANISATIONS)
    return (
        await session.exec(
            select(Share)
            .where(Share.screening_id == screening_id, Share.agency == principal.agency, names_them | whole_agency)
            .order_by(col(Share.shared_at).desc())
            .limit(1)
        )
    ).first()


def _named_in_justification(
    keys: CaseKeys, wrapped: CaseKey | None, screenings: Sequence[Screening], text: str, path: str
) -> None:
    """A justification is kept in the audit trail for as long as the trail, erasures included, in plain text for
    those who account for what was done: it may not name the person it justifies an act on."""
    if wrapped is None:
        return
    for screening in screenings:
        if person_of(keys, wrapped.wrapped_key, screening).named_in(text):
            raise invalid_field(
                path,
                "names_the_person",
                "name the person nowhere in it: it outlives their data",
                detail="the justification names the person: it is kept in the audit trail after their data is gone",
            )


async def share(
    session: AsyncSession,
    keys: CaseKeys,
    principal: Principal,
    screening_id: str,
    agency: str,
    organisation: str | None,
    override_reason: str | None,
    *,
    with_photo: bool = False,
) -> None:
    """Shares a screening's personal data with another agency: with the victim's consent to sharing between
    agencies, or by the competent authority overriding its absence, with a reason kept beside the share."""
    screening = await screening_of(session, screening_id)
    if not owner_or_authority(agency=principal.agency, roles=principal.roles, owner=screening.agency):
        raise Forbidden("only the owning agency or the competent authority shares a screening")
    if consent_in_force(await latest_consent(session, screening.case_id, ConsentPurpose.SHARING_AGENCIES)):
        override_reason = None
    elif override_reason is None:
        raise Problem(409, "Conflict", "no consent to share personal data between agencies", kind="consent-required")
    elif "determiner" not in principal.roles:
        raise Forbidden("only the competent authority may share without the victim's consent")
    else:
        wrapped = await session.get(CaseKey, screening.case_id)
        _named_in_justification(keys, wrapped, [screening], override_reason, "body.consent_override_reason")
    now = datetime.now(UTC)
    values = {
        "shared_by": principal.subject,
        "shared_at": now,
        "override_reason": override_reason,
        "with_photo": with_photo,
    }
    # The unique index's expressions: one share per screening and reader, a whole agency or one organisation.
    # The empty string is written into the statement, not bound: PostgreSQL matches the conflict target to
    # the index when planning, and a generic plan (a prepared statement's sixth run) sees only a parameter.
    reader: list[Any] = [
        Share.screening_id,
        Share.agency,
        sa.func.coalesce(Share.organisation, sa.literal_column("''")),
    ]
    await session.exec(
        insert(Share)
        .values(screening_id=screening_id, agency=agency, organisation=organisation, **values)
        .on_conflict_do_update(index_elements=reader, set_=values)
    )
    # Auditors follow who opened the person's data to whom, and on whose word, in the same trail as the reads.
    reason = share_reason(agency, organisation, overrides_consent=override_reason is not None, with_photo=with_photo)
    await audit.append(session, audited(principal, screening_id, now, override_reason, reason))


async def erase(
    session: AsyncSession, keys: CaseKeys, stage: Stager, principal: Principal, case_id: str, legal_basis: str
) -> bool:
    """A lawful erasure: the case key goes, and with it every copy of the case's personal data held here;
    the event tells the other services holding a copy (repatriation) to erase theirs. The audit trail of
    each of the case's screenings records who erased it, when, and on what legal basis, which may not name
    the person."""
    key = await session.get(CaseKey, case_id)
    if key is None:
        return False
    screened = (await session.exec(select(Screening).where(Screening.case_id == case_id))).all()
    _named_in_justification(keys, key, screened, legal_basis, "query.legal_basis")
    await session.delete(key)
    # The key's destruction already leaves the photos unreadable, backups included; the rows go too, as on a
    # withdrawal of consent to images.
    await session.exec(sa.delete(Photo).where(col(Photo.case_id) == case_id))
    now = datetime.now(UTC)
    for screening in screened:
        await audit.append(session, audited(principal, screening.screening_id, now, legal_basis, "lawful erasure"))
    await stage(session, PersonalDataErased(case_id=case_id, erased_at=now))
    return True
