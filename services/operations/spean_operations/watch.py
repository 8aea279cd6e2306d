"""What the console consumes: every case topic, noted event by event (case id, type, trace id, and a
deadline breach's data), so that operators see the flow per topic, the breaches, and each case's traces."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import CloudEvent
from spean_contracts import events as e
from spean_contracts.registry import IDENTIFICATION, PROSECUTION, REFERRAL, REPATRIATION
from spean_kit.consumer import Subscription
from spean_kit.outbox import Stager
from spean_operations.adapters.tables import ObservedEvent

CASE_TOPICS = (IDENTIFICATION, REFERRAL, REPATRIATION, PROSECUTION)
BREACHES = (
    e.IdentificationDeadlineBreached,
    e.ReferralDeadlineBreached,
    e.FollowUpDeadlineBreached,
    e.VisitDeadlineBreached,
    e.PlacementDeadlineBreached,
    e.RepatriationDeadlineBreached,
)


async def observe(session: AsyncSession, event: CloudEvent, stage: Stager) -> None:
    await observe_batch(session, [event], stage)


async def observe_batch(session: AsyncSession, events: list[CloudEvent], _: Stager) -> None:
    await session.execute(
        insert(ObservedEvent).on_conflict_do_nothing(),
        [
            {
                "event_id": event.id,
                "case_id": event.subject,
                "type": event.type,
                "topic": event.spec.topic.name,
                "at": event.time,
                "trace_id": event.trace_id,
                "breach": event.data.model_dump(mode="json") if isinstance(event.data, BREACHES) else None,
            }
            for event in events
        ],
    )


WATCH = Subscription(tuple(topic.name for topic in CASE_TOPICS), observe, name="watch", batch_handler=observe_batch)
