"""Dead letters seen by operators: what sits on the dead-letter topics and why, and sending one back to
its topic once the cause is fixed. A replay keeps the event's id, so consumers that had already
applied it skip it and only those that failed apply it now."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from spean_contracts import ContractViolation, from_kafka_record
from spean_contracts.registry import TOPICS
from spean_kit.deadletter import dead_letter_topic
from spean_kit.kafka_access import KafkaAccess, access_of
from spean_kit.outbox import new_producer
from spean_kit.topics import partitions_of


@dataclass(frozen=True)
class DeadLetter:
    dlq: str
    partition: int
    offset: int
    event_id: str
    type: str
    subject: str
    reason: str
    consumer: str
    topic: str
    attempts: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class NoSuchDeadLetter(LookupError):
    pass


async def dead_letter_topics(bootstrap: str | KafkaAccess, namespace: str = "") -> list[str]:
    """The platform's dead-letter topics that exist (under `namespace`, a training or test prefix)."""
    admin = AIOKafkaAdminClient(**access_of(bootstrap).options())
    await admin.start()
    try:
        present = set(await admin.list_topics())
    finally:
        await admin.close()
    names = (dead_letter_topic(namespace + topic.name) for topic in TOPICS)
    return sorted(name for name in names if name in present)


async def read_topic(bootstrap: str | KafkaAccess, topic: str) -> list[ConsumerRecord]:
    """Every record of `topic` from its start to its current end (no consumer group: nothing committed)."""
    partitions = await partitions_of(bootstrap, [topic])
    if not partitions:
        return []
    async with _reader(bootstrap) as consumer:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        return await _read_to_end(consumer, await consumer.end_offsets(partitions))


@contextlib.asynccontextmanager
async def _reader(bootstrap: str | KafkaAccess) -> AsyncIterator[AIOKafkaConsumer]:
    # What the platform's consumers would see (they read committed records only).
    consumer = AIOKafkaConsumer(
        **access_of(bootstrap).options(), enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def _read_to_end(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> list[ConsumerRecord]:
    """The assigned partitions' records from where each stands to `ends`."""
    records: list[ConsumerRecord] = []
    while any([await consumer.position(p) < end for p, end in ends.items()]):
        batches = await consumer.getmany(timeout_ms=1000)
        records += [r for rs in batches.values() for r in rs if r.offset < ends[TopicPartition(r.topic, r.partition)]]
    return records


@dataclass(frozen=True)
class Shelf:
    """What the dead-letter topics hold: how many letters each, and the latest letters, newest first."""

    totals: dict[str, int]
    latest: list[DeadLetter]


async def dead_letters(bootstrap: str | KafkaAccess, namespace: str = "", latest: int = 50) -> Shelf:
    """The letters' count per dead-letter topic (from its offsets) and the `latest` newest letters,
    read from each partition's end. Reading and decoding every letter took seconds with tens of
    thousands of them: the console refreshes every five seconds, and a poison storm is when an
    operator opens it."""
    topics = await dead_letter_topics(bootstrap, namespace)
    partitions = await partitions_of(bootstrap, topics) if topics else []
    if not partitions:
        return Shelf({topic: 0 for topic in topics}, [])
    async with _reader(bootstrap) as consumer:
        consumer.assign(partitions)
        begins = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        for partition in partitions:
            consumer.seek(partition, max(begins[partition], ends[partition] - latest))
        records = await _read_to_end(consumer, ends)
    totals = {topic: 0 for topic in topics}
    for partition in partitions:
        totals[partition.topic] += ends[partition] - begins[partition]
    newest = sorted(records, key=lambda r: (r.timestamp, r.topic, r.partition, r.offset), reverse=True)[:latest]
    return Shelf(totals, [_letter(record.topic, record) for record in newest])


async def _letter_at(bootstrap: str | KafkaAccess, dlq: str, partition: int, offset: int) -> ConsumerRecord | None:
    """The record at `offset` of the partition, read alone, if the partition holds it."""
    at = TopicPartition(dlq, partition)
    if at not in await partitions_of(bootstrap, [dlq]):
        return None
    async with _reader(bootstrap) as consumer:
        consumer.assign([at])
        begin, end = (await consumer.beginning_offsets([at]))[at], (await consumer.end_offsets([at]))[at]
        if not begin <= offset < end:
            return None
        consumer.seek(at, offset)
        while await consumer.position(at) < end:
            records = (await consumer.getmany(at, timeout_ms=1000, max_records=1)).get(at, [])
            if records:
                return records[0] if records[0].offset == offset else None
        return None


def _letter(dlq: str, record: ConsumerRecord) -> DeadLetter:
    headers = {name: value.decode(errors="replace") for name, value in record.headers}
    original = [(name, value) for name, value in record.headers if not name.startswith("dlq_")]
    try:
        event = from_kafka_record(record.value, original)
        event_id, kind, subject = event.id, event.type, event.subject
    except ContractViolation:
        event_id, kind, subject = headers.get("ce_id", ""), "(not a valid event)", ""
    return DeadLetter(
        dlq=dlq,
        partition=record.partition,
        offset=record.offset,
        event_id=event_id,
        type=kind,
        subject=subject,
        reason=headers.get("dlq_reason", ""),
        consumer=headers.get("dlq_consumer", ""),
        topic=headers.get("dlq_topic", "") or dlq.removesuffix(".dlq"),
        attempts=int(headers.get("dlq_attempts", "0") or 0),
    )


async def replay(bootstrap: str | KafkaAccess, dlq: str, offset: int, partition: int = 0) -> DeadLetter:
    """Send the dead letter at `dlq` `partition`@`offset` back to its original topic, as it was first
    published (key, value, CloudEvents headers and trace context; the dlq_* headers dropped)."""
    record = await _letter_at(bootstrap, dlq, partition, offset)
    if record is None:
        raise NoSuchDeadLetter(
            f"no dead-lettered event at offset {offset} of {dlq}" + (f" partition {partition}" if partition else "")
        )
    letter = _letter(dlq, record)
    headers = [(name, value) for name, value in record.headers if not name.startswith("dlq_")]
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(letter.topic, record.value, key=record.key, headers=headers)
    finally:
        with contextlib.suppress(asyncio.CancelledError):
            await producer.stop()
    return letter
