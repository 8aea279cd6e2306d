"""The raw side of the pipeline benchmark: what aiokafka and asyncpg do alone with the same payloads.

Two limits. The issue's: the records produced and consumed with aiokafka and their rows copied into
PostgreSQL, one after the other. And the durable limit: the statements the kit issues for each event,
issued with asyncpg alone, around the same aiokafka production and consumption, the three stages
running together as the pipeline's do. What separates the pipeline from the durable limit is the kit's
own cost (validation, tracing, SQLAlchemy); what separates the durable limit from the first is the
price of never losing or doubling an event.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import orjson
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy.engine import make_url

from bench.measuring import Measured, Stopwatch, unwalked
from spean_contracts import KafkaRecord, source_of, to_kafka_record
from spean_kit.consumer import CLAIM as KIT_CLAIM
from spean_kit.outbox import PUBLISHED, RELAY_LOCK_NAMESPACE, RELAYED, PartitionBatches, new_producer
from spean_kit.outbox import STAGE as KIT_STAGE
from spean_kit.settings import ServiceSettings
from spean_local.endpoints import Endpoints
from spean_local.scratch import scratch_namespace
from tests.kit.sample.app import APPLY as SAMPLE_APPLY
from tests.kit.sample.app import case_identified


async def new_topic(endpoints: Endpoints) -> str:
    topic = scratch_namespace("bench") + "raw"
    admin = AIOKafkaAdminClient(bootstrap_servers=endpoints.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 6, 1)])
    finally:
        await admin.close()
    return topic


async def raw_produce(endpoints: Endpoints, records: list[KafkaRecord], *, batched: bool) -> tuple[str, Measured]:
    """`records` produced with aiokafka alone (idempotent, acks=all, as the relay does): record by
    record with `send`, or in one record batch per partition with `send_batch`."""
    topic = await new_topic(endpoints)
    producer = new_producer(endpoints.kafka_bootstrap)
    await producer.start()
    try:
        with Stopwatch() as watch:
            if batched:
                batches = PartitionBatches(producer)
                for r in records:
                    await batches.append(topic, r.key, r.value, r.headers)
                await batches.sent()
            else:
                sends = [await producer.send(topic, r.value, key=r.key, headers=r.headers) for r in records]
                await asyncio.gather(*sends)
        return topic, watch.measured
    finally:
        await producer.stop()


async def raw_consume(endpoints: Endpoints, topic: str, events: int) -> Measured:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=endpoints.kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        with Stopwatch() as watch:
            seen = 0
            while seen < events:
                seen += sum(len(batch) for batch in (await consumer.getmany(timeout_ms=500, max_records=5000)).values())
        return watch.measured
    finally:
        await consumer.stop()


async def raw_copy(database: str, records: list[KafkaRecord]) -> Measured:
    connection = await asyncpg.connect(database)
    try:
        await connection.execute("CREATE TABLE raw_effect (case_id text, event_id text)")
        rows = [(r.key.decode(), dict(r.headers)["ce_id"].decode()) for r in records]
        with Stopwatch() as watch:
            await connection.copy_records_to_table("raw_effect", records=rows)
        return watch.measured
    finally:
        await connection.close()


def raw_records(events: int, prefix: str = "raw") -> list[KafkaRecord]:
    """The raw side's payloads, left out of garbage collections as the pipeline's events are."""
    source = source_of("bench", "MOSVY")
    return unwalked([to_kafka_record(case_identified(f"{prefix}-{i:07d}"), source=source) for i in range(events)])


async def warm_up(endpoints: Endpoints) -> None:
    """A freshly started Kafka runs its first thousands of records through an unwarmed JVM: whichever
    side of the comparison went first would pay for it."""
    records = raw_records(5_000, "warm")
    topic, _ = await raw_produce(endpoints, records, batched=False)
    await raw_consume(endpoints, topic, len(records))


class Statement:
    """A statement of the kit (or of the sample service) as asyncpg takes it: compiled once by the
    dialect the kit's engine uses, its named parameters given in the order the text wants them. The
    durable limit runs the very statements the pipeline runs, not copies of them."""

    def __init__(self, statement: sa.TextClause) -> None:
        compiled = statement.compile(dialect=make_url("postgresql+asyncpg://").get_dialect()())
        self.text = str(compiled)
        self.order = list(compiled.positiontup or [])

    def arguments(self, **values: object) -> list[object]:
        return [values[name] for name in self.order]


STAGE = Statement(KIT_STAGE)
CLAIM = Statement(KIT_CLAIM)
APPLY = Statement(SAMPLE_APPLY)
# The relay's turn as the kit takes it (`OutboxRelay.relay_once`): its other two statements are asyncpg's already.
RELAY_TURN = "SELECT pg_try_advisory_xact_lock($1, hashtext($2))"


def outbox_rows(records: list[KafkaRecord], topic: str) -> list[tuple[str, str, bytes, bytes, str]]:
    """The records as the kit keeps them in its outbox (headers as JSON text), bound for `topic`."""
    return unwalked(
        [
            (
                dict(r.headers)["ce_id"].decode(),
                topic,
                r.key,
                r.value,
                orjson.dumps([(name, value.decode()) for name, value in r.headers]).decode(),
            )
            for r in records
        ]
    )


async def durable_limit(
    endpoints: Endpoints,
    settings: ServiceSettings,
    rows: list[tuple[str, str, bytes, bytes, str]],
    batch: int,
) -> Measured:
    """`rows` staged `batch` at a time, relayed to Kafka and consumed into `sample_effect` with the kit's
    statements on asyncpg and aiokafka alone, in the database and schema of `settings` as the sample
    service's migrations left them, the relay polling as often as that service's. Measured from the
    first staged row to the last effect."""
    database, schema = settings.database_url, settings.schema_name
    topic = rows[0][1]
    server_settings = {"search_path": schema}
    staging, relaying, consuming = [await asyncpg.connect(database, server_settings=server_settings) for _ in range(3)]
    producer = new_producer(endpoints.kafka_bootstrap)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=endpoints.kafka_bootstrap,
        group_id=f"durable-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=2000,
    )
    await producer.start()
    await consumer.start()
    try:
        while not consumer.assignment():  # joined before the clock starts, as a running service has
            await consumer.getmany(timeout_ms=100)

        async def stage() -> None:
            for start in range(0, len(rows), batch):
                event_ids, topics, keys, values, headers = zip(*rows[start : start + batch], strict=True)
                arguments = STAGE.arguments(
                    event_ids=event_ids, topics=topics, keys=keys, values=values, headers=headers, trace_context="{}"
                )
                async with staging.transaction():
                    await staging.execute(STAGE.text, *arguments)

        async def relay() -> None:
            relayed = 0
            while relayed < len(rows):
                async with relaying.transaction():
                    await relaying.fetchval(RELAY_TURN, RELAY_LOCK_NAMESPACE, schema)
                    found = await relaying.fetch(RELAYED, batch)
                    batches = PartitionBatches(producer)
                    for row in found:
                        headers = [(name, text.encode()) for name, text in orjson.loads(row["headers"])]
                        await batches.append(row["topic"], row["key"], row["value"], headers)
                    await batches.sent()
                    await relaying.execute(PUBLISHED, [row["id"] for row in found])
                relayed += len(found)
                if len(found) < batch:
                    await asyncio.sleep(settings.outbox_poll_seconds)

        async def consume() -> None:
            applied = 0
            while applied < len(rows):
                batches = await consumer.getmany(timeout_ms=200)
                records = [record for records in batches.values() for record in records]
                if not records:
                    continue
                ids = [dict(record.headers)["ce_id"].decode() for record in records]
                async with consuming.transaction():
                    claimed = await consuming.fetch(
                        CLAIM.text, *CLAIM.arguments(consumer="durable", event_ids=ids, topics=[topic] * len(ids))
                    )
                    fresh = {event_id for (event_id,) in claimed}
                    effects = [(r.key.decode(), i) for r, i in zip(records, ids, strict=True) if i in fresh]
                    if effects:
                        case_ids, event_ids = zip(*effects, strict=True)
                        await consuming.execute(APPLY.text, *APPLY.arguments(case_ids=case_ids, event_ids=event_ids))
                applied += len(effects)
                await consumer.commit({partition: rs[-1].offset + 1 for partition, rs in batches.items()})

        with Stopwatch() as watch:
            await asyncio.gather(stage(), relay(), consume())
        return watch.measured
    finally:
        await consumer.stop()
        await producer.stop()
        for connection in (staging, relaying, consuming):
            await connection.close()
