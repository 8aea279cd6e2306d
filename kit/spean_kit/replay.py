"""Dead letters seen by operators: what sits on the dead-letter topics and why, and sending one back to
its topic once the cause is fixed. A replay keeps the event's id, so consumers that had already
applied it skip it and only those that failed apply it now."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from spean_contracts import ContractViolation, from_kafka_record
from spean_contracts.registry import TOPICS
from spean_kit.deadletter import dead_letter_topic
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


async def dead_letter_topics(bootstrap: str, namespace: str = "") -> list[str]:
    """The platform's dead-letter topics that exist (under `namespace`, a training or test prefix)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        present = set(await admin.list_topics())
    finally:
        await admin.close()
    names = (dead_letter_topic(namespace + topic.name) for topic in TOPICS)
    return sorted(name for name in names if name in present)


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord]:
    """Every record of `topic` from its start to its current end (no consumer group: nothing committed)."""
    partitions = await partitions_of(bootstrap, [topic])
    if not partitions:
        return []
    # What the platform's consumers would see (they read committed records only).
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        while any([await consumer.position(p) < ends[p] for p in partitions]):
            batches = await consumer.getmany(timeout_ms=1000)
            records += [r for rs in batches.values() for r in rs]
        return records
    finally:
        await consumer.stop()


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


async def dead_letters(bootstrap: str, namespace: str = "") -> list[DeadLetter]:
    return [
        _letter(dlq, record)
        for dlq in await dead_letter_topics(bootstrap, namespace)
        for record in await read_topic(bootstrap, dlq)
    ]


async def replay(bootstrap: str, dlq: str, offset: int, partition: int = 0) -> DeadLetter:
    """Send the dead letter at `dlq` `partition`@`offset` back to its original topic, as it was first
    published (key, value, CloudEvents headers and trace context; the dlq_* headers dropped)."""
    record = next(
        (r for r in await read_topic(bootstrap, dlq) if r.offset == offset and r.partition == partition), None
    )
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
