"""Court outcomes from the Ministry of Justice, recorded so that trafficking is never mixed with rape
and settlements and unpaid restitution stay visible."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import CaseProsecuted, CourtOutcomeRecorded
from spean_contracts.fields import EventData
from spean_contracts.vocabulary import Verdict
from spean_kit.auth import Principal
from spean_kit.errors import Problem
from spean_kit.service import Runtime
from spean_registry import audit
from spean_registry.adapters.tables import CourtCase
from spean_registry.api.schemas import CourtOutcomeIn
from spean_registry.domain.charges import most_serious


def _check_later_decision(recorded: CourtCase, body: CourtOutcomeIn, outcome: dict[str, Any]) -> None:
    """A court case already recorded takes a later decision of its court (the verdict of a case that
    was pending, an appeal, restitution paid since, a defendant who absconded), never an earlier one,
    and never for another case."""
    if recorded.case_id != body.case_id:
        raise Problem(
            409, "Conflict", "this court case is recorded for another case", kind="court-case-of-another-case"
        )
    if recorded.outcome == outcome:
        raise Problem(409, "Conflict", "this court case's outcome is already recorded")
    if body.decided_on < recorded.decided_on:
        raise Problem(
            409,
            "Conflict",
            f"a later decision of this court case, of {recorded.decided_on.isoformat()}, is already recorded",
            kind="later-decision-recorded",
        )


async def record_outcome(session: AsyncSession, runtime: Runtime, principal: Principal, body: CourtOutcomeIn) -> None:
    """Records a court's decision on a case, first or later. `case.prosecuted` tells each verdict once:
    a later decision that changes only restitution or abscondment is a court outcome, not a new verdict."""
    outcome, now = body.model_dump(mode="json"), datetime.now(UTC)
    recorded = await session.get(CourtCase, body.court_case_id, with_for_update=True)
    verdict_before = None
    if recorded is None:
        recorded = CourtCase(
            court_case_id=body.court_case_id,
            case_id=body.case_id,
            outcome=outcome,
            decided_on=body.decided_on,
            recorded_by=principal.subject,
            recorded_at=now,
        )
    else:
        _check_later_decision(recorded, body, outcome)
        verdict_before = recorded.outcome["verdict"]
        recorded.outcome, recorded.decided_on = outcome, body.decided_on
        recorded.recorded_by, recorded.recorded_at = principal.subject, now
    session.add(recorded)
    events: list[EventData] = [CourtOutcomeRecorded.model_validate(body.model_dump())]
    if body.verdict not in (Verdict.PENDING, verdict_before):
        events.append(
            CaseProsecuted(
                case_id=body.case_id,
                court_case_id=body.court_case_id,
                category=most_serious(charge.category for charge in body.charges),
                verdict=body.verdict,
                convicted=body.verdict == Verdict.CONVICTED,
                year=body.decided_on.year,
            )
        )
    await runtime.stage(session, *events)
    await audit.record(session, principal, "court-outcome-recorded", body.court_case_id)
