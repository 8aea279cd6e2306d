"""The competent authority's age assessments: an age in doubt settled, for the consents, the profile of the
case and the national statistics."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import AgeAssessed
from spean_contracts.fields import local_day
from spean_contracts.vocabulary import AgeBand, AgeMethod
from spean_identification.adapters.crypto import CaseKeys
from spean_identification.adapters.tables import AgeAssessment, CaseKey, Screening
from spean_identification.api.schemas import AgeAssessmentIn, AgeAssessmentOut, AgeAssessmentRead
from spean_identification.domain.access import may_read_age_assessments
from spean_identification.domain.person import CHILD_UNTIL, AssessedAge, age_band
from spean_identification.screenings import (
    audited_read,
    contract_agency,
    erased,
    first_screening,
    new_id,
    suggest_again,
)
from spean_kit.auth import Principal
from spean_kit.service import Runtime


async def assess(
    session: AsyncSession, runtime: Runtime, keys: CaseKeys, principal: Principal, case_id: str, body: AgeAssessmentIn
) -> AgeAssessmentOut:
    """Record the case's age as assessed, replacing any assessment before; the event tells the other services
    the case's new age band and whether the person is a child, never the age. Each of the case's screenings
    suggests its outcome again, by the assessed age on the day the person was met."""
    await first_screening(session, case_id)
    wrapped = await session.get(CaseKey, case_id)
    if wrapped is None:
        raise erased()
    now = datetime.now(UTC)
    is_child = body.age < CHILD_UNTIL
    private = {"age": body.age, "reasons": body.reasons}
    assessment = AgeAssessment(
        assessment_id=new_id("age"),
        case_id=case_id,
        age_band=age_band(body.age),
        is_child=is_child,
        methods=[str(method) for method in body.methods],
        sealed=keys.encrypt(wrapped.wrapped_key, case_id, json.dumps(private).encode()),
        assessed_by=principal.subject,
        agency=principal.agency or "",
        assessed_at=now,
    )
    session.add(assessment)
    settled = AssessedAge(age=body.age, on=local_day(now))
    for screening in (await session.exec(select(Screening).where(Screening.case_id == case_id))).all():
        suggest_again(screening, child_when_met=settled.age_on(local_day(screening.encountered_at)) < CHILD_UNTIL)
        session.add(screening)
    await session.flush()
    await runtime.stage(
        session,
        AgeAssessed(
            case_id=case_id,
            age_band=AgeBand(assessment.age_band),
            is_child=is_child,
            methods=body.methods,
            agency=contract_agency(assessment.agency),
            assessed_at=now,
        ),
    )
    return AgeAssessmentOut(
        assessment_id=assessment.assessment_id,
        case_id=case_id,
        age=body.age,
        age_band=AgeBand(assessment.age_band),
        is_child=is_child,
        methods=[AgeMethod(method) for method in assessment.methods],
        assessed_at=now,
    )


async def latest_of(session: AsyncSession, case_ids: Collection[str]) -> dict[str, AgeAssessment]:
    """Each case's assessment in force, the latest made, for the cases that have one (one query)."""
    made = await session.exec(
        select(AgeAssessment).where(col(AgeAssessment.case_id).in_(case_ids)).order_by(col(AgeAssessment.assessed_at))
    )
    # In order of assessment: each case's last one written is its latest.
    return {assessment.case_id: assessment for assessment in made.all()}


async def latest(session: AsyncSession, case_id: str) -> AgeAssessment | None:
    return (await latest_of(session, [case_id])).get(case_id)


def _opened(keys: CaseKeys, wrapped_key: bytes, assessment: AgeAssessment) -> dict[str, Any]:
    opened: dict[str, Any] = json.loads(keys.decrypt(wrapped_key, assessment.case_id, assessment.sealed))
    return opened


def assessed_age(keys: CaseKeys, wrapped_key: bytes, assessment: AgeAssessment) -> AssessedAge:
    return AssessedAge(age=int(_opened(keys, wrapped_key, assessment)["age"]), on=local_day(assessment.assessed_at))


async def read(
    session: AsyncSession, keys: CaseKeys, principal: Principal, case_id: str, purpose: str | None
) -> list[AgeAssessmentRead]:
    """The case's age assessments, oldest first, with their ages and grounds, for a purpose; audited in its first
    screening's trail either way. A refusal is committed before it is answered."""
    screening = await first_screening(session, case_id)
    decision = may_read_age_assessments(roles=principal.roles, purpose=purpose)
    await audited_read(session, principal, screening.screening_id, purpose, decision)
    made = (
        await session.exec(
            select(AgeAssessment).where(AgeAssessment.case_id == case_id).order_by(col(AgeAssessment.assessed_at))
        )
    ).all()
    wrapped = await session.get(CaseKey, case_id)
    return [
        AgeAssessmentRead(
            assessment_id=row.assessment_id,
            case_id=case_id,
            age_band=AgeBand(row.age_band),
            is_child=row.is_child,
            methods=[AgeMethod(method) for method in row.methods],
            assessed_at=row.assessed_at,
            assessed_by=row.assessed_by,
            agency=row.agency,
            in_force=row is made[-1],
            # The age and the grounds went with the case's key at an erasure.
            **({"age": None, "reasons": []} if wrapped is None else _opened(keys, wrapped.wrapped_key, row)),
        )
        for row in made
    ]
