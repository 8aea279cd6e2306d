"""What repatriation learns from identification: consent to share the person's data across the border,
withdrawn where it was recorded, ends that case's returns under way from this country. The person's
latest word counts wherever it was given: a return whose consent was taken after the withdrawal goes on."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import CloudEvent
from spean_contracts.events import ConsentRecorded
from spean_contracts.sop import Role, Withdrawal
from spean_contracts.vocabulary import ConsentPurpose, WithdrawalReason
from spean_kit.consumer import Handler
from spean_kit.outbox import Stager
from spean_repatriation.adapters.tables import Repatriation
from spean_repatriation.domain.procedure import BEFORE_HANDOVER
from spean_repatriation.exchange import Exchange, locked, withdraw

WITHDRAWN = Withdrawal(reason=WithdrawalReason.CONSENT_WITHDRAWN)
GOING = [state.value for state in BEFORE_HANDOVER]


def follow_consents(exchange: Exchange) -> Handler:
    async def on_identification_event(session: AsyncSession, event: CloudEvent, stage: Stager) -> None:
        data = event.data
        if not isinstance(data, ConsentRecorded) or data.given or data.purpose != ConsentPurpose.SHARING_CROSS_BORDER:
            return
        references = (
            await session.exec(
                select(Repatriation.reference).where(
                    Repatriation.case_id == data.case_id,
                    Repatriation.role == Role.DESTINATION.value,
                    col(Repatriation.state).in_(GOING),
                )
            )
        ).all()
        for row in (await locked(session, references)).values():
            if row.state in GOING and (row.consent_recorded_at is None or row.consent_recorded_at < data.recorded_at):
                await withdraw(session, stage, exchange, row, WITHDRAWN, now=datetime.now(UTC))

    return on_identification_event
