"""The placement deadline: a person registered for referral should be in a provider's care within the
configured days of the case's opening. One who is not (nobody accepted them, every offer was declined or
expired, or none was made) is the victim lost between agencies that the referral mechanism exists to
prevent, so MoSVY, who sanctions placements, is told once. A person who declines services is not waiting
to be placed, and a case already over (returned home) is not either."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import PlacementDeadlineBreached
from spean_contracts.vocabulary import CaseStatus, ConsentPurpose
from spean_kit.service import Runtime
from spean_kit.workers import Job
from spean_referral.adapters.tables import ConsentState, Referral, ReferralCase
from spean_referral.domain.lifecycle import ReferralState

# Cases a scan tells in one transaction; the next scan takes the rest.
SCAN_BATCH = 500
# A referral in one of these states means a provider took the person in.
TAKEN_IN = (ReferralState.IN_CARE, ReferralState.CLOSED)


def placement_scan(days: float) -> Job:
    """A periodic job: cases still waiting for a placement `days` after they opened, one breach each."""
    wait = timedelta(days=days)

    async def placement_breach_scan(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
        taken_in = select(Referral.referral_id).where(
            Referral.case_id == ReferralCase.case_id, col(Referral.state).in_([state.value for state in TAKEN_IN])
        )
        declining = select(ConsentState.case_id).where(
            ConsentState.case_id == ReferralCase.case_id,
            ConsentState.purpose == ConsentPurpose.SERVICES.value,
            col(ConsentState.given).is_(False),
        )
        overdue = (
            await session.exec(
                select(ReferralCase)
                .where(ReferralCase.status == CaseStatus.ACTIVE.value)
                .where(col(ReferralCase.opened_at) < now - wait)
                .where(col(ReferralCase.placement_breached).is_(False))
                .where(~taken_in.exists(), ~declining.exists())
                .order_by(col(ReferralCase.opened_at))
                .with_for_update(skip_locked=True)
                .limit(SCAN_BATCH)
            )
        ).all()
        for case in overdue:
            case.placement_breached = True
            session.add(case)
        await runtime.stage(
            session,
            *(
                PlacementDeadlineBreached(
                    case_id=case.case_id,
                    referral_case_id=case.referral_case_id,
                    due_at=case.opened_at + wait,
                    breached_at=now,
                )
                for case in overdue
            ),
        )
        return len(overdue)

    return placement_breach_scan
