"""The placement deadline: a person registered for referral should be in a provider's care within the
configured days of the case's opening, or of their latest agreement to services where that came later (a
person who declined services and agreed again is not late the moment they agree). One who is not (nobody
accepted them, every offer was declined or expired, or none was made) is the victim lost between agencies
that the referral mechanism exists to prevent, so MoSVY, who sanctions placements, is told once. A person
who declines services is not waiting to be placed, and a case already over (returned home) is not either."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import PlacementDeadlineBreached
from spean_contracts.vocabulary import CaseStatus, ConsentPurpose
from spean_kit.service import Runtime
from spean_kit.workers import Job
from spean_referral.adapters.tables import ConsentState, Referral, ReferralCase
from spean_referral.domain.lifecycle import ReferralState
from spean_referral.referrals import SCAN_BATCH

# A referral in one of these states means a provider took the person in.
TAKEN_IN = (ReferralState.IN_CARE, ReferralState.CLOSED)
SERVICES = (ConsentState.case_id == ReferralCase.case_id, ConsentState.purpose == ConsentPurpose.SERVICES.value)


def _waiting_since() -> sa.ColumnElement[datetime]:
    """When each case's person began to wait for a placement: the case's opening, or their agreement to
    services recorded after it (greatest ignores a missing agreement)."""
    agreed_at = select(ConsentState.recorded_at).where(*SERVICES, col(ConsentState.given).is_(True))
    return sa.func.greatest(ReferralCase.opened_at, agreed_at.scalar_subquery())


async def places_by(session: AsyncSession, cases: Sequence[ReferralCase], days: float) -> dict[str, datetime]:
    """When each case's person is due to be in a provider's care."""
    began = await session.exec(
        select(ReferralCase.case_id, _waiting_since()).where(col(ReferralCase.case_id).in_([c.case_id for c in cases]))
    )
    wait = timedelta(days=days)
    return {case_id: since + wait for case_id, since in began.all()}


def overdue(now: datetime, days: float) -> tuple[sa.ColumnElement[bool], ...]:
    """What makes a case late for its placement at `now`: active, nobody has taken the person in, the
    person does not decline services, and their wait began more than `days` before."""
    taken_in = select(Referral.referral_id).where(
        Referral.case_id == ReferralCase.case_id, col(Referral.state).in_([state.value for state in TAKEN_IN])
    )
    declining = select(ConsentState.case_id).where(*SERVICES, col(ConsentState.given).is_(False))
    return (
        col(ReferralCase.status) == CaseStatus.ACTIVE.value,
        _waiting_since() < now - timedelta(days=days),
        ~taken_in.exists(),
        ~declining.exists(),
    )


def placement_scan(days: float) -> Job:
    """A periodic job: cases still waiting for a placement `days` after they began to, one breach each."""
    wait = timedelta(days=days)

    async def placement_breach_scan(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
        overdue_cases = (
            await session.exec(
                select(ReferralCase, _waiting_since())
                .where(*overdue(now, days))
                .where(col(ReferralCase.placement_breached).is_(False))
                .order_by(col(ReferralCase.opened_at))
                .with_for_update(of=ReferralCase, skip_locked=True)
                .limit(SCAN_BATCH)
            )
        ).all()
        for case, _ in overdue_cases:
            case.placement_breached = True
            session.add(case)
        await runtime.stage(
            session,
            *(
                PlacementDeadlineBreached(
                    case_id=case.case_id,
                    referral_case_id=case.referral_case_id,
                    due_at=began + wait,
                    breached_at=now,
                )
                for case, began in overdue_cases
            ),
        )
        return len(overdue_cases)

    return placement_breach_scan
