"""A record Spean produces on Kafka is a CloudEvent to anyone: the official SDK reads it back whole."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event

from spean_contracts import CATALOGUE, source_of, to_kafka_record
from spean_contracts.events import CaseIdentified
from spean_local.endpoints import Endpoints
from tests.conftest import TopicFactory


async def test_the_cloudevents_sdk_reads_what_spean_produces(servers: Endpoints, new_topic: TopicFactory) -> None:
    topic = await new_topic("contracts-sdk")
    example = next(spec for spec in CATALOGUE if spec.model is CaseIdentified).examples[0]
    record = to_kafka_record(CaseIdentified.model_validate(example), source=source_of("identification", "MOSVY"))

    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, record.value, key=record.key, headers=record.headers)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=servers.kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        received = await consumer.getone()
    finally:
        await consumer.stop()

    event = from_binary_event(KafkaMessage(headers=dict(received.headers), key=received.key, value=received.value))
    sent = {name: value.decode() for name, value in record.headers}
    assert event.get_id() == sent["ce_id"]
    assert event.get_type() == "kh.spean.case.identified.v1"
    assert event.get_source() == "/spean/identification/MOSVY"
    assert event.get_subject() == example["case_id"]
    assert event.get_dataschema() == "urn:kh:spean:schema:case.identified:1.0"
    assert event.get_data() == example
