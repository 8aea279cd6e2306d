"""Idempotent consumers: an event's effect and the record of its id commit in one transaction, offsets
are committed after, failures are retried with backoff, and what still fails goes to the dead-letter
twin of its topic with the reason, so the partition moves on.

Replaying a topic from offset 0 applies nothing twice: every event id already in the inbox is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import CloudEvent, ContractViolation, from_kafka_record
from spean_kit.database import unreachable
from spean_kit.deadletter import DeadLetters
from spean_kit.kafka_access import KafkaAccess, access_of
from spean_kit.outbox import Stager
from spean_kit.tables import inbox
from spean_kit.telemetry import Telemetry, batch_attributes, by_cause, ended, messaging_attributes

log = logging.getLogger(__name__)
# A database away waits for it with pauses growing to this, so that its return is noticed soon.
DATABASE_WAIT_MAX_SECONDS = 5.0

# A batch's event ids claimed in one statement whose text never changes (two arrays, not a VALUES list
# per batch size): PostgreSQL and SQLAlchemy prepare it once. Returns the ids not processed before.
CLAIM = sa.text(
    "INSERT INTO inbox (consumer, event_id, topic) "
    "SELECT :consumer, claimed.event_id, claimed.topic FROM unnest(:event_ids, :topics) AS claimed(event_id, topic) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
).bindparams(
    sa.bindparam("consumer", type_=inbox.c.consumer.type),
    sa.bindparam("event_ids", type_=ARRAY(sa.String)),
    sa.bindparam("topics", type_=ARRAY(sa.String)),
)

# A handler applies one event within the consumer's transaction, and may stage events of its own.
Handler = Callable[[AsyncSession, CloudEvent, Stager], Awaitable[None]]
# A batch handler applies many events, in order, within one transaction: one statement for many rows
# where a handler would issue one per event. The effect must equal applying them one by one.
BatchHandler = Callable[[AsyncSession, list[CloudEvent], Stager], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """What a service consumes: topics, and the handler applied to each event of them (or to a
    batch of them, when `batch_handler` is given)."""

    topics: tuple[str, ...]
    handler: Handler
    name: str = "main"
    batch_handler: BatchHandler | None = None

    async def apply(self, session: AsyncSession, events: list[CloudEvent], stage: Stager) -> None:
        if self.batch_handler is not None:
            await self.batch_handler(session, events, stage)
            return
        for event in events:
            await self.handler(session, event, stage)


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
        bootstrap: str | KafkaAccess,
        sessions: async_sessionmaker[AsyncSession],
        dead_letters: DeadLetters,
        telemetry: Telemetry,
        stage: Stager,
        max_attempts: int = 5,
        backoff_seconds: float = 0.2,
    ) -> None:
        self.group = group
        self.subscription = subscription
        self.kafka = access_of(bootstrap)
        self.sessions = sessions
        self.dead_letters = dead_letters
        self.stage = stage
        self.telemetry = telemetry
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.batch_lock = asyncio.Lock()
        self.inbox_name = f"{group}:{subscription.name}"
        self.stopping = asyncio.Event()

    def _new_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            **self.kafka.options(),
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=2000,
            # New topics (a service deployed later) are noticed within seconds, not the default 5 minutes.
            metadata_max_age_ms=10_000,
        )

    async def run(self, stop: asyncio.Event) -> None:
        self.stopping = stop
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
        # All partitions of a poll in one transaction: a case's events share a partition, so their
        # order holds, and one commit (one fsync) serves hundreds of events.
        await self.process([record for records in batches.values() for record in records])
        offsets: dict[TopicPartition, int] = {}
        for partition, records in batches.items():
            offsets[partition] = records[-1].offset + 1
            highwater = consumer.highwater(partition)
            if highwater is not None:
                lag_key = (self.group, partition.topic, partition.partition)
                self.telemetry.consumer_lag[lag_key] = max(0, highwater - offsets[partition])
        await consumer.commit(offsets)

    def _start_span(self, record: ConsumerRecord, *more: ConsumerRecord) -> Span:
        """The processing span of `record`, or of all the records given (one cause, one topic)."""
        headers = {name: value.decode(errors="replace") for name, value in record.headers}
        if more:
            attributes = batch_attributes(record.topic, "process", 1 + len(more))
        else:
            attributes = {
                **messaging_attributes(record.topic, "process", headers, key=record.key),
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.offset": record.offset,
            }
        return self.telemetry.tracer.start_span(
            f"process {record.topic}",
            context=propagate.extract(headers),
            kind=SpanKind.CONSUMER,
            attributes={**attributes, "messaging.consumer.group.name": self.group},
        )

    @contextlib.contextmanager
    def _span(self, record: ConsumerRecord) -> Iterator[Span]:
        """The record's processing span, current while its handler runs (its queries join it)."""
        span = self._start_span(record)
        with trace.use_span(span, end_on_exit=True):
            yield span

    async def process(self, records: list[ConsumerRecord]) -> None:
        """Apply records (in each partition's order), each exactly once, or dead-letter them.

        Fast path: the whole batch in one transaction. If anything in it fails, the batch is rolled
        back and each record is applied on its own, with retries, so one bad event costs only itself.
        Raises only if the dead-letter topic cannot be reached (the offsets are then not committed).
        """
        parsed: list[tuple[ConsumerRecord, CloudEvent]] = []
        for record in records:
            try:
                parsed.append((record, from_kafka_record(record.value, record.headers)))
            except ContractViolation as violation:
                with self._span(record) as span:
                    span.set_status(Status(StatusCode.ERROR, "contract violation"))
                    await self._dead_letter(record, str(violation), attempts=1)
        if not parsed:
            return
        try:
            await self._once_reachable(lambda: self._apply_batch(parsed))
        except Exception as failure:
            if unreachable(failure):  # only when stopping: the records come again
                raise
            log.warning(
                "batch failed; applying its events one by one",
                extra={"events": len(parsed), "error": type(failure).__name__},
            )
            for record, event in parsed:
                await self._process_one(record, event)
            return
        consumed = Counter((record.topic, event.type) for record, event in parsed)
        for (topic, event_type), count in consumed.items():
            self.telemetry.events_consumed.add(count, {"topic": topic, "type": event_type})

    async def _apply_batch(self, parsed: list[tuple[ConsumerRecord, CloudEvent]]) -> None:
        async with self.sessions() as session, session.begin():
            fresh = await self._claim(session, parsed)
            todo = []
            for record, event in parsed:
                if event.id in fresh:  # a record repeated within the batch is applied once
                    fresh.discard(event.id)
                    todo.append((record, event))
            if todo:
                await self._apply_traced(session, todo)

    async def _once_reachable(self, work: Callable[[], Awaitable[None]]) -> None:
        """`work` done, tried again for as long as the database is out of reach; its other failures raised.

        A database out of reach is no fault of the events: they wait for it, however long, rather than
        spend their attempts and land in the dead-letter topic for an operator to send back. A consumer
        told to stop gives up instead, its offsets uncommitted, so that the events come again."""
        waits = 0
        while True:
            try:
                await work()
                return
            except Exception as failure:
                if not unreachable(failure) or self.stopping.is_set():
                    raise
                log.warning(
                    "database unreachable; events wait", extra={"group": self.group, "error": type(failure).__name__}
                )
                await asyncio.sleep(min(self.backoff_seconds * 2**waits, DATABASE_WAIT_MAX_SECONDS))
                waits += 1

    async def _apply_traced(self, session: AsyncSession, todo: list[tuple[ConsumerRecord, CloudEvent]]) -> None:
        """Apply `todo` under processing spans, one per publish span the records came from (a bulk
        intake's events share one): each joins the trace of the request that caused it, and so do
        the events its handler stages."""
        causes = by_cause(todo, _process_cause)
        spans = [self._start_span(*(record for record, _ in group)) for group in causes]
        span_of = {id(record): span for group, span in zip(causes, spans, strict=True) for record, _ in group}
        with ended(spans):
            if self.subscription.batch_handler is None:
                # Event by event, in the partitions' order, each under its cause's span.
                for record, event in todo:
                    with trace.use_span(span_of[id(record)], record_exception=False, set_status_on_exception=False):
                        await self.subscription.handler(session, event, self.stage)
            else:
                # One call for all: what it stages belongs to a trace only when the batch has one cause.
                with (
                    trace.use_span(spans[0], record_exception=False, set_status_on_exception=False)
                    if len(spans) == 1
                    else contextlib.nullcontext()
                ):
                    await self.subscription.batch_handler(session, [event for _, event in todo], self.stage)

    async def _claim(self, session: AsyncSession, parsed: list[tuple[ConsumerRecord, CloudEvent]]) -> set[str]:
        """Record the events' ids in the inbox; returns those not processed before (the rest are replays)."""
        claimed = await session.execute(
            CLAIM,
            {
                "consumer": self.inbox_name,
                "event_ids": [event.id for _, event in parsed],
                "topics": [record.topic for record, _ in parsed],
            },
        )
        return {str(event_id) for (event_id,) in claimed.all()}

    async def _process_one(self, record: ConsumerRecord, event: CloudEvent) -> None:
        with self._span(record) as span:
            error: Exception | None = None
            for attempt in range(1, self.max_attempts + 1):
                try:
                    await self._once_reachable(lambda: self._apply_one(record, event))
                    self.telemetry.events_consumed.add(1, {"topic": record.topic, "type": event.type})
                    return
                except Exception as failure:
                    if unreachable(failure):  # only when stopping: no attempt spent, nothing dead-lettered
                        raise
                    error = failure
                    log.warning(
                        "event processing failed",
                        extra={"event_id": event.id, "attempt": attempt, "error": type(failure).__name__},
                    )
                    if attempt < self.max_attempts:
                        await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            await self._dead_letter(record, f"{type(error).__name__}: {error}", attempts=self.max_attempts)

    async def _apply_one(self, record: ConsumerRecord, event: CloudEvent) -> None:
        async with self.sessions() as session, session.begin():
            if await self._claim(session, [(record, event)]):
                await self.subscription.apply(session, [event], self.stage)

    async def _dead_letter(self, record: ConsumerRecord, reason: str, *, attempts: int) -> None:
        await self.dead_letters.send(record, reason=reason, consumer=self.group, attempts=attempts)
        self.telemetry.events_dead_lettered.add(1, {"topic": record.topic, "consumer.group": self.group})
        log.error("event dead-lettered", extra={"topic": record.topic, "offset": record.offset})


def _process_cause(item: tuple[ConsumerRecord, CloudEvent]) -> tuple[str, str] | None:
    """Records of one topic published under one span (the same `traceparent`) share a processing span."""
    record, event = item
    return (record.topic, event.traceparent) if event.traceparent else None
