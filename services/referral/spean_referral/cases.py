"""What referral learns from the other services: from identification, a case to register and refer, its age
as assessed and its profile as corrected, and consent as recorded (a person declining services ends the offers
still open for them); from repatriation, that a person cared for here went home."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import CloudEvent
from spean_contracts.events import (
    AgeAssessed,
    CaseIdentified,
    CaseRepatriated,
    ConsentRecorded,
    ReferralCaseOpened,
    ScreeningCorrected,
    ServiceGapRecorded,
    VulnerablePersonIdentified,
)
from spean_contracts.vocabulary import CaseStatus, ConsentPurpose, Country, ExploitationType, Outcome, Service
from spean_kit.outbox import Stager
from spean_referral import directory, referrals
from spean_referral.adapters.tables import ConsentState, ReferralCase

VICTIM_NEEDS = (Service.SHELTER, Service.MEDICAL, Service.PSYCHOSOCIAL, Service.LEGAL, Service.REINTEGRATION_FOLLOW_UP)
VULNERABLE_NEEDS = (Service.PSYCHOSOCIAL, Service.REINTEGRATION_FOLLOW_UP)


async def on_case_event(session: AsyncSession, event: CloudEvent, stage: Stager) -> None:
    data = event.data
    if isinstance(data, CaseRepatriated) and data.from_country == Country.CAMBODIA:
        await referrals.close_on_departure(session, stage, data)
    elif isinstance(data, CaseIdentified | VulnerablePersonIdentified):
        await open_case(session, data, stage)
    elif isinstance(data, AgeAssessed):
        # Providers are matched by age: a person found a child goes to a child's shelter, and one found an adult
        # leaves a place meant for children.
        await _profile_changed(session, data.case_id, age_band=data.age_band, is_child=data.is_child)
    elif isinstance(data, ScreeningCorrected):
        await _profile_changed(
            session,
            data.case_id,
            sex=data.sex,
            age_band=data.age_band,
            nationality=data.nationality,
            is_child=data.is_child,
        )
    elif isinstance(data, ConsentRecorded):
        latest = await session.exec(
            insert(ConsentState)
            .values(case_id=data.case_id, purpose=data.purpose, given=data.given, recorded_at=data.recorded_at)
            .on_conflict_do_update(
                index_elements=["case_id", "purpose"],
                set_={"given": data.given, "recorded_at": data.recorded_at},
                where=ConsentState.recorded_at <= data.recorded_at,  # type: ignore[arg-type]
            )
            .returning(col(ConsentState.given))
        )
        # Only the person's latest word acts: a withdrawal that arrives after a later consent changes nothing.
        if latest.first() is not None and data.purpose == ConsentPurpose.SERVICES and not data.given:
            await referrals.decline_for_the_person(session, stage, data.case_id)


async def _profile_changed(session: AsyncSession, case_id: str, **profile: object) -> None:
    """The profile providers are matched by, as identification now knows it; nothing for a case not opened."""
    await session.exec(update(ReferralCase).where(col(ReferralCase.case_id) == case_id).values(**profile))


async def open_case(session: AsyncSession, data: CaseIdentified | VulnerablePersonIdentified, stage: Stager) -> None:
    """Register the person with MoSVY as the law requires, and record the needs nobody can meet."""
    if await session.get(ReferralCase, data.case_id) is not None:
        return
    victim = isinstance(data, CaseIdentified)
    exploitation: list[ExploitationType] = list(data.exploitation_types) if isinstance(data, CaseIdentified) else []
    needs = list(VICTIM_NEEDS if victim else VULNERABLE_NEEDS)
    now = datetime.now(UTC)
    case = ReferralCase(
        case_id=data.case_id,
        referral_case_id=f"rc-{uuid.uuid4().hex}",
        province=data.province,
        sex=data.sex,
        age_band=data.age_band,
        nationality=data.nationality,
        is_child=data.is_child,
        exploitation_types=[str(e) for e in exploitation],
        needs=[str(n) for n in needs],
        outcome=Outcome.TRAFFICKING_VICTIM if victim else Outcome.VULNERABLE_PERSON,
        status=CaseStatus.ACTIVE,
        opened_at=now,
    )
    session.add(case)
    profile = directory.case_profile(data.province, data.sex, data.age_band, data.nationality, case.exploitation_types)
    gaps = [m.need for m in await directory.matches(session, profile, needs) if m.is_gap]
    await stage(
        session,
        ReferralCaseOpened(
            case_id=data.case_id,
            referral_case_id=case.referral_case_id,
            province=data.province,
            sex=data.sex,
            age_band=data.age_band,
            nationality=data.nationality,
            is_child=data.is_child,
            needs=needs,
            exploitation_types=exploitation,
            opened_at=now,
        ),
        *(
            ServiceGapRecorded(
                case_id=data.case_id,
                need=need,
                province=data.province,
                sex=data.sex,
                age_band=data.age_band,
                exploitation_types=exploitation,
                recorded_at=now,
            )
            for need in gaps
        ),
    )
