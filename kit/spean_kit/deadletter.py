"""The dead-letter twin of every topic: the original record, headers and key kept, plus why it failed."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer, ConsumerRecord

from spean_kit.kafka_access import KafkaAccess
from spean_kit.outbox import new_producer

REASON_LIMIT = 1000


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


class DeadLetters:
    def __init__(self, bootstrap: str | KafkaAccess) -> None:
        self.bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None

    async def send(self, record: ConsumerRecord, *, reason: str, consumer: str, attempts: int) -> None:
        if self._producer is None:
            producer = new_producer(self.bootstrap)
            await producer.start()
            self._producer = producer
        headers = [
            *record.headers,
            ("dlq_reason", reason[:REASON_LIMIT].encode()),
            ("dlq_consumer", consumer.encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_attempts", str(attempts).encode()),
        ]
        await self._producer.send_and_wait(
            dead_letter_topic(record.topic), record.value, key=record.key, headers=headers
        )

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
