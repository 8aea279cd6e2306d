"""The command line's direct view of Kafka: tailing a topic and handling dead letters. This is an
operator's tool on the platform's own network; it reads what the contracts allow on the topics, which
never includes personal data."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from spean_cli.connection import Failure, endpoints
from spean_contracts import ContractViolation, from_kafka_record
from spean_contracts.registry import TOPICS
from spean_kit.topics import partitions_of


def _decoded(value: bytes, headers: list[tuple[str, bytes]]) -> dict[str, Any]:
    try:
        event = from_kafka_record(value, headers)
    except ContractViolation as violation:
        return {"type": "(not a valid event)", "subject": "", "time": "", "data": {}, "problem": str(violation)}
    return {
        "id": event.id,
        "type": event.type,
        "subject": event.subject,
        "time": event.time,
        "source": event.source,
        "data": event.data.model_dump(mode="json"),
    }


async def tail(topic: str, *, limit: int, from_beginning: bool, wait: float) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=endpoints().kafka_bootstrap,
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[dict[str, Any]] = []
    try:
        if not consumer.assignment() and topic not in await consumer.topics():
            raise Failure(f"no topic {topic}")
        while len(seen) < limit:
            batches = await consumer.getmany(timeout_ms=int(wait * 1000), max_records=limit - len(seen))
            if not batches:
                break
            seen += [_decoded(r.value, r.headers) for records in batches.values() for r in records]
    finally:
        await consumer.stop()
    return seen[:limit]


async def _dlq_topics(namespace: str) -> list[str]:
    """The platform's dead-letter topics (under `namespace`, a training or test environment's prefix)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=endpoints().kafka_bootstrap)
    await admin.start()
    try:
        present = set(await admin.list_topics())
    finally:
        await admin.close()
    return sorted(namespace + topic.dead_letter for topic in TOPICS if namespace + topic.dead_letter in present)


async def _read(topic: str) -> list[Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=endpoints().kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await partitions_of(endpoints().kafka_bootstrap, [topic])
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []

        async def behind() -> bool:
            return any([await consumer.position(p) < ends[p] for p in partitions])

        while await behind():
            batches = await consumer.getmany(timeout_ms=1000)
            records += [r for rs in batches.values() for r in rs]
        return records
    finally:
        await consumer.stop()


async def dead_letters(namespace: str = "") -> list[dict[str, Any]]:
    letters = []
    for topic in await _dlq_topics(namespace):
        for record in await _read(topic):
            headers = {name: value.decode(errors="replace") for name, value in record.headers}
            event = _decoded(record.value, [(n, v) for n, v in record.headers if not n.startswith("dlq_")])
            letters.append(
                {
                    "dlq": topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "type": event["type"].removeprefix("kh.spean.").removesuffix(".v1"),
                    "subject": event["subject"],
                    "reason": headers.get("dlq_reason", ""),
                    "consumer": headers.get("dlq_consumer", ""),
                    "topic": headers.get("dlq_topic", ""),
                }
            )
    return letters


async def replay(dlq: str, offset: int) -> dict[str, Any]:
    record = next((r for r in await _read(dlq) if r.offset == offset), None)
    if record is None:
        raise Failure(f"no dead-lettered event at offset {offset} of {dlq}")
    headers = [(name, value) for name, value in record.headers if not name.startswith("dlq_")]
    original = dict(record.headers).get("dlq_topic", b"").decode() or dlq.removesuffix(".dlq")
    producer = AIOKafkaProducer(bootstrap_servers=endpoints().kafka_bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(original, record.value, key=record.key, headers=headers)
    finally:
        with contextlib.suppress(asyncio.CancelledError):
            await producer.stop()
    return {"topic": original, "event_id": dict(headers).get("ce_id", b"").decode(), "from": f"{dlq}@{offset}"}
