"""Idempotent consumers: an event's effect and the record of its id commit in one transaction, offsets
are committed after, failures are retried with backoff, and what still fails goes to the dead-letter
twin of its topic with the reason, so the partition moves on.

Replaying a topic from offset 0 applies nothing twice: every event id already in the inbox is skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import CloudEvent, ContractViolation, from_kafka_record
from spean_kit.deadletter import DeadLetters
from spean_kit.tables import inbox
from spean_kit.telemetry import Telemetry, messaging_attributes

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """What a service consumes: topics, and the handler applied to each event of them."""

    topics: tuple[str, ...]
    handler: Handler
    name: str = "main"


class _CommitBeforeRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, consumer: IdempotentConsumer) -> None:
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        # Wait for the batch in hand: its offsets are committed before another member takes over.
        async with self.consumer.batch_lock:
            pass

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        return None


class IdempotentConsumer:
    def __init__(
        self,
        *,
        group: str,
        subscription: Subscription,
        bootstrap: str,
        sessions: async_sessionmaker[AsyncSession],
        dead_letters: DeadLetters,
        telemetry: Telemetry,
        max_attempts: int = 5,
        backoff_seconds: float = 0.2,
    ) -> None:
        self.group = group
        self.subscription = subscription
        self.bootstrap = bootstrap
        self.sessions = sessions
        self.dead_letters = dead_letters
        self.telemetry = telemetry
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.batch_lock = asyncio.Lock()
        self.inbox_name = f"{group}:{subscription.name}"

    def _new_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=500,
        )

    async def run(self, stop: asyncio.Event) -> None:
        consumer = self._new_consumer()
        try:
            await consumer.start()
            consumer.subscribe(list(self.subscription.topics), listener=_CommitBeforeRevoke(self))
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=200)
                if not batches:
                    continue
                async with self.batch_lock:
                    await self._process_batches(consumer, batches)
        finally:
            await consumer.stop()

    async def _process_batches(
        self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        offsets: dict[TopicPartition, int] = {}
        for partition, records in batches.items():
            for record in records:
                await self.process(record)
                offsets[partition] = record.offset + 1
            highwater = consumer.highwater(partition)
            if highwater is not None:
                lag_key = (self.group, partition.topic, partition.partition)
                self.telemetry.consumer_lag[lag_key] = max(0, highwater - offsets[partition])
        await consumer.commit(offsets)

    async def process(self, record: ConsumerRecord) -> None:
        """Apply one record exactly once, or dead-letter it. Raises only if the dead-letter topic is away."""
        headers = {name: value.decode(errors="replace") for name, value in record.headers}
        with self.telemetry.tracer.start_as_current_span(
            f"process {record.topic}",
            context=propagate.extract(headers),
            kind=SpanKind.CONSUMER,
            attributes={
                **messaging_attributes(record.topic, "process", headers, key=record.key),
                "messaging.consumer.group.name": self.group,
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.offset": record.offset,
            },
        ) as span:
            try:
                event = from_kafka_record(record.value, record.headers)
            except ContractViolation as violation:
                span.set_status(Status(StatusCode.ERROR, "contract violation"))
                await self._dead_letter(record, str(violation), attempts=1)
                return
            error: Exception | None = None
            for attempt in range(1, self.max_attempts + 1):
                try:
                    await self._apply(record, event)
                    self.telemetry.events_consumed.add(1, {"topic": record.topic, "type": event.type})
                    return
                except Exception as failure:
                    error = failure
                    log.warning(
                        "event processing failed",
                        extra={"event_id": event.id, "attempt": attempt, "error": type(failure).__name__},
                    )
                    if attempt < self.max_attempts:
                        await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            await self._dead_letter(record, f"{type(error).__name__}: {error}", attempts=self.max_attempts)

    async def _apply(self, record: ConsumerRecord, event: CloudEvent) -> None:
        async with self.sessions() as session, session.begin():
            first_time = await session.exec(
                insert(inbox)
                .values(consumer=self.inbox_name, event_id=event.id, topic=record.topic)
                .on_conflict_do_nothing()
                .returning(inbox.c.event_id)
            )
            if first_time.first() is None:
                return
            await self.subscription.handler(session, event)

    async def _dead_letter(self, record: ConsumerRecord, reason: str, *, attempts: int) -> None:
        await self.dead_letters.send(record, reason=reason, consumer=self.group, attempts=attempts)
        self.telemetry.events_dead_lettered.add(1, {"topic": record.topic, "consumer.group": self.group})
        log.error("event dead-lettered", extra={"topic": record.topic, "offset": record.offset})


async def processed_count(sessions: async_sessionmaker[AsyncSession], consumer: str) -> int:
    async with sessions() as session:
        count = await session.scalar(sa.select(sa.func.count()).select_from(inbox).where(inbox.c.consumer == consumer))
        return int(count or 0)
