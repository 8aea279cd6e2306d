"""Reading topics and consumer-group positions directly, to check what the kit did on Kafka."""

from __future__ import annotations

from datetime import datetime

from aiokafka import AIOKafkaProducer, ConsumerRecord

from spean_contracts import Topic, spec_for_model, spec_for_type, to_kafka_record
from spean_contracts.fields import EventData
from spean_kit.replay import read_topic
from spean_kit.settings import ServiceSettings
from spean_kit.topics import ensure_topics
from tests.support.app import eventually, scalar


def published_text(records: list[ConsumerRecord]) -> str:
    """All that the records carry (values and headers) as one text, to search for what must not be there."""
    return b"".join(r.value + b"".join(v for _, v in r.headers) for r in records).decode()


async def publish(
    bootstrap: str, namespace: str, *events: EventData, source: str = "/spean/test/MOSVY", time: datetime | None = None
) -> None:
    """Publish contract events to their topics (under `namespace`), as their owning services would;
    `time` is when they happened (`ce_time`), now unless given."""
    await ensure_topics(bootstrap, {spec_for_model(type(event)).topic for event in events}, namespace=namespace)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for event in events:
            record = to_kafka_record(event, source=source, time=time)
            await producer.send_and_wait(namespace + record.topic, record.value, key=record.key, headers=record.headers)
    finally:
        await producer.stop()


async def published(settings: ServiceSettings, topic: Topic) -> list[ConsumerRecord]:
    """What a running service has published on `topic` (under its namespace), once its relay has emptied
    its outbox: the relay deletes each row when Kafka has it."""

    async def drained() -> bool:
        return bool(await scalar(settings, "SELECT count(*) FROM outbox") == 0)

    await eventually(drained, what="the outbox drained to Kafka")
    return await read_topic(settings.kafka_bootstrap, settings.topic_namespace + topic.name)


def names_of(records: list[ConsumerRecord]) -> list[str]:
    """The records' event names (`identification.screening-recorded`), in the order read."""
    return [spec_for_type(dict(record.headers)["ce_type"].decode()).name for record in records]
