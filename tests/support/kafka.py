"""Reading topics and consumer-group positions directly, to check what the kit did on Kafka."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from spean_contracts import spec_for_model, to_kafka_record
from spean_contracts.fields import EventData
from spean_kit.topics import ensure_topics, partitions_of


async def read_all(bootstrap: str, topic: str) -> list[ConsumerRecord]:
    """Every record of `topic` from offset 0 to its current end, without joining a group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    try:
        partitions = await partitions_of(bootstrap, [topic])
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def publish(bootstrap: str, namespace: str, *events: EventData, source: str = "/spean/test/MOSVY") -> None:
    """Publish contract events to their topics (under `namespace`), as their owning services would."""
    await ensure_topics(bootstrap, {spec_for_model(type(event)).topic for event in events}, namespace=namespace)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            record = to_kafka_record(event, source=source)
            await producer.send_and_wait(namespace + record.topic, record.value, key=record.key, headers=record.headers)
    finally:
        await producer.stop()
