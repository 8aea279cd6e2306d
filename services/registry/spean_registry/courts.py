"""Court outcomes from the Ministry of Justice, recorded so that trafficking is never mixed with rape
and settlements and unpaid restitution stay visible."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import CaseProsecuted, CourtOutcomeRecorded
from spean_contracts.fields import EventData
from spean_contracts.vocabulary import ChargeCategory, Verdict
from spean_kit.auth import Principal
from spean_kit.errors import Problem
from spean_kit.service import Runtime
from spean_registry import audit
from spean_registry.adapters.tables import CourtCase
from spean_registry.api.schemas import CourtOutcomeIn

SEVERITY = (ChargeCategory.TRAFFICKING, ChargeCategory.RAPE, ChargeCategory.OTHER)


def most_serious(body: CourtOutcomeIn) -> ChargeCategory:
    categories = {charge.category for charge in body.charges}
    return next(category for category in SEVERITY if category in categories)


async def record_outcome(session: AsyncSession, runtime: Runtime, principal: Principal, body: CourtOutcomeIn) -> None:
    if await session.get(CourtCase, body.court_case_id) is not None:
        raise Problem(409, "Conflict", "this court case's outcome is already recorded")
    session.add(
        CourtCase(
            court_case_id=body.court_case_id,
            case_id=body.case_id,
            outcome=body.model_dump(mode="json"),
            decided_on=body.decided_on,
            recorded_by=principal.subject,
            recorded_at=datetime.now(UTC),
        )
    )
    events: list[EventData] = [CourtOutcomeRecorded.model_validate(body.model_dump())]
    if body.verdict != Verdict.PENDING:
        events.append(
            CaseProsecuted(
                case_id=body.case_id,
                court_case_id=body.court_case_id,
                category=most_serious(body),
                verdict=body.verdict,
                convicted=body.verdict == Verdict.CONVICTED,
                year=body.decided_on.year,
            )
        )
    await runtime.stage(session, *events)
    await audit.record(session, principal, "court-outcome-recorded", body.court_case_id)
