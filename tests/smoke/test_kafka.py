"""Kafka is a real broker: a CloudEvent produced with aiokafka comes back with its headers and key."""

from __future__ import annotations

import json
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from spean_local.endpoints import Endpoints
from spean_local.scratch import scratch_namespace


async def test_cloudevent_round_trip_through_the_broker(servers: Endpoints) -> None:
    topic = scratch_namespace("smoke") + "records"
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()

    event_id = str(uuid.uuid4())
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", event_id.encode()),
        ("ce_type", b"kh.spean.smoke.checked.v1"),
        ("ce_source", b"/spean/smoke"),
        ("content-type", b"application/json"),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, json.dumps({"ok": True}).encode(), key=b"case-1", headers=headers)
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=servers.kafka_bootstrap, auto_offset_reset="earliest", group_id=topic
    )
    await consumer.start()
    try:
        record = await consumer.getone()
    finally:
        await consumer.stop()

    assert record.key == b"case-1"
    assert dict(record.headers)["ce_id"] == event_id.encode()
    assert json.loads(record.value) == {"ok": True}
