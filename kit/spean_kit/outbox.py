"""Transactional outbox: an event is a row written in the same transaction as the state change that
caused it; the relay publishes rows to Kafka afterwards, so a crash or a Kafka outage delays events but
never loses them, and never fails the API call that caused them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import encode_event, new_event_id
from spean_contracts.fields import EventData
from spean_kit.kafka_access import KafkaAccess, access_of
from spean_kit.tables import outbox
from spean_kit.telemetry import Telemetry, batch_attributes, by_cause, ended, messaging_attributes

log = logging.getLogger(__name__)

# One relay at a time per service (advisory lock), so that records of one case leave in commit order
# even when several replicas run.
RELAY_LOCK_NAMESPACE = 0x5E4A

PARTITIONER = DefaultPartitioner()

# The relay's statements run on the driver's connection, inside the transaction SQLAlchemy began: no
# request or event surrounds them, so they are never traced (WithoutIdleQueries), and SQLAlchemy's
# compilation, row objects and tracing hooks were a tenth of the relay's CPU (bench/pipeline.py). The
# JSONB trace context still arrives decoded: SQLAlchemy registers its JSON codecs on every connection
# it opens. The headers are JSON text (see `tables.outbox`), parsed here.
RELAYED = "SELECT id, topic, key, value, headers, trace_context FROM outbox ORDER BY id LIMIT $1"
# Published rows are deleted, not marked: marking rewrote each row and its index entries (five times the
# cost of deleting, and the relay's costliest statement), and the table grew for ever.
PUBLISHED = "DELETE FROM outbox WHERE id = ANY($1::bigint[])"

# A transaction's events in one statement whose text never changes, however many: an array per column
# (no limit on parameters, for a bulk intake of thousands), inserted in the order given, so that ids,
# the relay's order, follow the order of staging. About 10% more events/s end to end than executemany
# (bench/pipeline.py), which SQLAlchemy prepares row by row.
STAGE = sa.text(
    "INSERT INTO outbox (event_id, topic, key, value, headers, trace_context) "
    "SELECT staged.event_id, staged.topic, staged.key, staged.value, staged.headers, "
    "CAST(:trace_context AS jsonb) "
    "FROM unnest(:event_ids, :topics, :keys, :values, :headers) WITH ORDINALITY "
    "AS staged(event_id, topic, key, value, headers, position) ORDER BY staged.position"
).bindparams(
    sa.bindparam("event_ids", type_=postgresql.ARRAY(sa.String)),
    sa.bindparam("topics", type_=postgresql.ARRAY(sa.String)),
    sa.bindparam("keys", type_=postgresql.ARRAY(sa.LargeBinary)),
    sa.bindparam("values", type_=postgresql.ARRAY(sa.LargeBinary)),
    sa.bindparam("headers", type_=postgresql.ARRAY(sa.Text)),
    sa.bindparam("trace_context", type_=sa.Text),
)


async def add_events(
    session: AsyncSession, events: Sequence[EventData], *, source: str, namespace: str = ""
) -> list[str]:
    """Stage `events` for publication in the caller's transaction; returns their ids.

    Each event is validated against its contract here, so an invalid one aborts the transaction
    (nothing is written) instead of reaching Kafka. The current trace context is kept with each row,
    so the publish and every consumer join the trace of the request that caused them.
    """
    if not events:
        return []
    trace_context: dict[str, str] = {}
    propagate.inject(trace_context)
    event_ids: list[str] = []
    topics: list[str] = []
    keys: list[bytes] = []
    values: list[bytes] = []
    headers: list[str] = []
    now = datetime.now(UTC)
    for position, data in enumerate(events):
        event_id = new_event_id()
        # Strictly increasing times within a transaction: readers ordering by ce_time see them as staged.
        stamped = now + timedelta(microseconds=position)
        encoded = encode_event(data, source=source, event_id=event_id, time=stamped)
        event_ids.append(event_id)
        topics.append(namespace + encoded.topic)
        keys.append(encoded.key.encode())
        values.append(encoded.value)
        headers.append(orjson.dumps(encoded.headers).decode())
    await session.execute(
        STAGE,
        {
            "event_ids": event_ids,
            "topics": topics,
            "keys": keys,
            "values": values,
            "headers": headers,
            "trace_context": orjson.dumps(trace_context).decode(),
        },
    )
    return event_ids


async def add_event(session: AsyncSession, data: EventData, *, source: str, namespace: str = "") -> str:
    """Stage one event; see `add_events`."""
    (event_id,) = await add_events(session, [data], source=source, namespace=namespace)
    return event_id


class Stager:
    """Stages events in one service's outbox: its `ce_source` and topic namespace filled in."""

    def __init__(self, source: str, namespace: str = "") -> None:
        self.source = source
        self.namespace = namespace

    async def __call__(self, session: AsyncSession, *events: EventData) -> list[str]:
        return await add_events(session, events, source=self.source, namespace=self.namespace)


async def backlog(connection: AsyncConnection) -> int:
    count = await connection.scalar(sa.select(sa.func.count()).select_from(outbox))
    return int(count or 0)


def new_producer(bootstrap: str | KafkaAccess) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **access_of(bootstrap).options(),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=10_000,
    )


class OutboxRelay:
    """Publishes outbox rows in id order, in batches, and deletes them once Kafka has them."""

    def __init__(
        self,
        engine: AsyncEngine,
        bootstrap: str | KafkaAccess,
        telemetry: Telemetry,
        *,
        schema: str,
        batch_size: int = 500,
        poll_seconds: float = 0.2,
    ) -> None:
        self.engine = engine
        self.bootstrap = bootstrap
        self.telemetry = telemetry
        self.lock_key = sa.func.hashtext(schema)
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._producer: AIOKafkaProducer | None = None
        self._counted_at = float("-inf")

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = new_producer(self.bootstrap)
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def close(self) -> None:
        """Stops the relay's producer (the next `relay_once` starts another)."""
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published (0: nothing to do or not our turn)."""
        async with self.engine.begin() as connection:
            ours = await connection.scalar(
                sa.select(sa.func.pg_try_advisory_xact_lock(RELAY_LOCK_NAMESPACE, self.lock_key))
            )
            if not ours:
                return 0
            driver: asyncpg.Connection = (await connection.get_raw_connection()).driver_connection
            rows = await driver.fetch(RELAYED, self.batch_size)
            if not rows:
                self.telemetry.outbox_backlog = 0
                return 0
            # Counting the backlog costs a scan: only when a full batch says more is waiting, once a second.
            if len(rows) == self.batch_size and time.monotonic() - self._counted_at > 1:
                self.telemetry.outbox_backlog = await backlog(connection)
                self._counted_at = time.monotonic()
            elif len(rows) < self.batch_size:
                self.telemetry.outbox_backlog = len(rows)
            producer = await self._ensure_producer()
            await self._publish(producer, rows)
            await driver.execute(PUBLISHED, [row["id"] for row in rows])
        self.telemetry.outbox_backlog = max(0, self.telemetry.outbox_backlog - len(rows))
        return len(rows)

    async def _publish(self, producer: AIOKafkaProducer, rows: Sequence[Any]) -> None:
        stored = {row["id"]: orjson.loads(row["headers"]) for row in rows}
        causes = by_cause(rows, _publish_cause)
        traced = [self._send_span(group, stored[group[0]["id"]]) for group in causes]
        span_headers = {row["id"]: headers for group, (_, headers) in zip(causes, traced, strict=True) for row in group}
        batches = PartitionBatches(producer)
        published: Counter[tuple[str, str]] = Counter()
        # Ended once Kafka has acknowledged: a publish span lasts as long as the publish.
        with ended([span for span, _ in traced]):
            for row_id, topic, key, value, _, _ in rows:
                stored_headers = stored[row_id]
                headers = [(name, text.encode()) for name, text in stored_headers]
                published[topic, dict(stored_headers).get("ce_type", "")] += 1
                # Staged headers never carry a trace context: the row keeps it apart, for the span.
                await batches.append(topic, key, value, headers + span_headers[row_id])
            # In order per partition (idempotent producer); a failure rolls the batch back: its rows stay.
            await batches.sent()
        for (topic, event_type), count in published.items():
            self.telemetry.events_published.add(count, {"topic": topic, "type": event_type})

    def _send_span(self, rows: list[Any], first_headers: list[list[str]]) -> tuple[Span, list[tuple[str, bytes]]]:
        """The publish span of `rows` (one topic, one cause; the first row's headers already parsed),
        never made current: nothing runs under it but the producer's own work. With it, the record
        headers that make each consumer's span its child rather than the HTTP request's, encoded once
        for all the rows."""
        first = rows[0]
        topic = first["topic"]
        parent = propagate.extract(first["trace_context"])
        if len(rows) == 1:
            attributes = messaging_attributes(topic, "send", dict(first_headers), key=first["key"])
        else:
            attributes = batch_attributes(topic, "send", len(rows))
        span = self.telemetry.tracer.start_span(
            f"send {topic}", context=parent, kind=SpanKind.PRODUCER, attributes=attributes
        )
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=trace.set_span_in_context(span, parent))
        return span, [(name, text.encode()) for name, text in carrier.items()]

    async def run(self, stop: asyncio.Event) -> None:
        delay = self.poll_seconds
        while not stop.is_set():
            try:
                sent = await self.relay_once()
                delay = self.poll_seconds
            except (TimeoutError, KafkaError, OSError) as error:
                # Kafka is away: the rows stay unsent and the API keeps answering; try again, more slowly.
                log.warning("outbox relay waiting for Kafka", extra={"error": type(error).__name__})
                await self.close()
                sent = 0
                delay = min(delay * 2, 5.0)
            if sent < self.batch_size:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                except TimeoutError:
                    continue
        await self.close()


def _publish_cause(row: Any) -> tuple[str, str] | None:
    """One request's events for one topic share a publish span (a batch send, in OpenTelemetry's
    messaging conventions): a bulk intake of 500 screenings is one publish in its trace, not 500. The
    `traceparent` names the span that staged them (its trace state goes with it). A row staged outside
    any trace has none, and a span of its own."""
    traceparent = row["trace_context"].get("traceparent")
    return (row["topic"], traceparent) if traceparent else None


class PartitionBatches:
    """Records gathered into one batch per partition, each batch sent whole: one delivery future per
    batch instead of one per record. The relay's way to Kafka, and the raw limit the benchmark
    compares it with: aiokafka and nothing else.

    The partition is the Java client's (murmur2 of the key), so a case's records land where any
    client puts them; the producer numbers each batch (idempotence) in the order batches are
    submitted, so a partition's records keep their order."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.partitions: dict[str, list[int]] = {}
        self.open: dict[TopicPartition, BatchBuilder] = {}
        self.deliveries: list[asyncio.Future[Any]] = []

    async def append(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        if topic not in self.partitions:
            self.partitions[topic] = sorted(await self.producer.partitions_for(topic))
        to = TopicPartition(topic, PARTITIONER(key, self.partitions[topic], None))
        batch = self.open.get(to)
        if batch is not None and batch.append(timestamp=None, key=key, value=value, headers=headers) is not None:
            return
        if batch is not None:  # full: off it goes, and a new one takes the record
            await self._send(to, batch)
        batch = self.open[to] = self.producer.create_batch()
        batch.append(timestamp=None, key=key, value=value, headers=headers)

    async def sent(self) -> None:
        """Submits the batches still open and waits until Kafka has acknowledged every one."""
        for to, batch in self.open.items():
            await self._send(to, batch)
        self.open.clear()
        await asyncio.gather(*self.deliveries)

    async def _send(self, to: TopicPartition, batch: BatchBuilder) -> None:
        batch.close()
        self.deliveries.append(await self.producer.send_batch(batch, to.topic, partition=to.partition))
