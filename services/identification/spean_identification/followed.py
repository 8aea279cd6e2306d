"""What identification learns from the other services' topics: the returnees repatriation hands over to
Cambodia, and the referrals whose provider may read the person's data."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import CloudEvent
from spean_contracts.events import CaseRepatriated, ReferralClosed, ReferralPersonalDataShared
from spean_identification.referral_shares import end_referral_shares, share_for_referral
from spean_identification.returns import record_returnee
from spean_kit.outbox import Stager


async def on_case_event(session: AsyncSession, event: CloudEvent, stage: Stager) -> None:
    data = event.data
    if isinstance(data, CaseRepatriated):
        await record_returnee(session, data)
    elif isinstance(data, ReferralPersonalDataShared):
        await share_for_referral(session, data)
    elif isinstance(data, ReferralClosed):
        await end_referral_shares(session, data)
