"""The local servers survive what operators do to them: a `kill -9`, then `make up`, loses nothing.

This runs on a private Kafka of its own (own state folder, own ports), so the shared servers of the
session are never disturbed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from spean_local.servers import Kafka
from tests.support.servers import own_kafka


async def test_kafka_killed_hard_comes_back_with_its_topics_and_records(tmp_path: Path) -> None:
    kafka = own_kafka(tmp_path, Kafka)
    topic = f"crash.{uuid.uuid4().hex[:8]}"
    try:
        # The start-up wait polls Kafka with a client of its own event loop, so it runs in a thread.
        assert await asyncio.to_thread(kafka.ensure_running)
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
        await admin.start()
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        await producer.send_and_wait(topic, b"before the crash", key=b"case-1")
        await producer.stop()

        pid = kafka.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        await asyncio.to_thread(os.waitpid, pid, 0)
        assert kafka.status().word == "down"

        assert await asyncio.to_thread(kafka.ensure_running)
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka.bootstrap, auto_offset_reset="earliest")
        await consumer.start()
        record = await consumer.getone()
        await consumer.stop()
        assert record.value == b"before the crash"
    finally:
        kafka.stop()
    assert kafka.pid() is None
