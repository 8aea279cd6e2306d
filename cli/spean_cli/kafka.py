"""The command line's direct view of Kafka: tailing a topic and handling dead letters. This is an
operator's tool on the platform's own network; it reads what the contracts allow on the topics, which
never includes personal data."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer

from spean_cli.connection import Failure, endpoints
from spean_contracts import ContractViolation, from_kafka_record
from spean_kit import replay as replay_


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


async def dead_letters(namespace: str, latest: int) -> dict[str, Any]:
    shelf = await replay_.dead_letters(endpoints().kafka_bootstrap, namespace, latest)
    return {
        "totals": shelf.totals,
        "latest": [
            letter.as_dict() | {"type": letter.type.removeprefix("kh.spean.").removesuffix(".v1")}
            for letter in shelf.latest
        ],
    }


async def replay(dlq: str, offset: int) -> dict[str, Any]:
    try:
        letter = await replay_.replay(endpoints().kafka_bootstrap, dlq, offset)
    except replay_.NoSuchDeadLetter as missing:
        raise Failure(str(missing)) from missing
    return {"topic": letter.topic, "event_id": letter.event_id, "from": f"{dlq}@{offset}"}
