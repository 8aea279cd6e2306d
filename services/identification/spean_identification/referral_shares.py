"""Shares made for referrals: an offer that asks to share the person's data opens it, once a provider
accepts, to that provider alone, and closes it when the referral ends. Whether the provider may read is
decided at each read, as for any share: while the victim consents, or on the competent authority's
override made before any withdrawal."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import ReferralClosed, ReferralPersonalDataShared
from spean_identification.adapters.tables import AccessAudit, Screening, Share
from spean_identification.domain.access import share_reason
from spean_kit import audit


async def share_for_referral(session: AsyncSession, shared: ReferralPersonalDataShared) -> None:
    """Each of the case's screenings opened to the provider. A share the provider already holds (made in
    identification) stays as it was, and does not end with the referral."""
    screenings = (await session.exec(select(Screening.screening_id).where(Screening.case_id == shared.case_id))).all()
    override = f"overridden in referral {shared.referral_id}" if shared.overrides_consent else None
    reason = share_reason(
        shared.agency,
        shared.provider_id,
        overrides_consent=shared.overrides_consent,
        occasion=f" for referral {shared.referral_id}",
    )
    for screening_id in screenings:
        made = await session.exec(
            insert(Share)
            .values(
                screening_id=screening_id,
                agency=shared.agency,
                organisation=shared.provider_id,
                shared_by=shared.referral_id,
                shared_at=shared.shared_at,
                override_reason=override,
                referral_id=shared.referral_id,
                # The provider takes the person in; it meets them and needs no picture of them.
                with_photo=False,
            )
            .on_conflict_do_nothing()
            .returning(col(Share.id))
        )
        if made.first() is not None:
            entry = _audited(shared.referral_id, shared.agency, screening_id, shared.shared_at, reason)
            await audit.append(session, entry)


async def end_referral_shares(session: AsyncSession, closed: ReferralClosed) -> None:
    ended = await session.exec(
        sa.delete(Share)
        .where(col(Share.referral_id) == closed.referral_id)
        .returning(col(Share.screening_id), col(Share.agency))
    )
    for screening_id, agency in ended.all():
        reason = f"share ended: referral {closed.referral_id} closed"
        await audit.append(session, _audited(closed.referral_id, agency, screening_id, closed.closed_at, reason))


def _audited(referral_id: str, agency: str, screening_id: str, at: datetime, reason: str) -> AccessAudit:
    return AccessAudit(
        at=at, subject=referral_id, agency=agency, screening_id=screening_id, purpose=None, granted=True, reason=reason
    )
