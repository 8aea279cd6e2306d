"""Reading topics and consumer-group positions directly, to check what the kit did on Kafka."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer, ConsumerRecord

from spean_contracts import spec_for_model, to_kafka_record
from spean_contracts.fields import EventData
from spean_kit.topics import ensure_topics


def published_text(records: list[ConsumerRecord]) -> str:
    """All that the records carry (values and headers) as one text, to search for what must not be there."""
    return b"".join(r.value + b"".join(v for _, v in r.headers) for r in records).decode()


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
