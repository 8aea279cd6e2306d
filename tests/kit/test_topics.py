"""The topics a service creates keep what their contract says: the case events for ever (the registry
rebuilds from offset 0), dead letters thirty days. Kafka's own default would delete both after a week.
And a service's consumers start on them without an error in the log."""

from __future__ import annotations

import logging

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from spean_contracts.registry import DEAD_LETTER_RETENTION_MS, REFERRAL, TOPICS
from spean_kit.topics import ensure_topics
from spean_local.endpoints import Endpoints
from spean_local.scratch import scratch_namespace


async def _retention(bootstrap: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    (resource,) = response.resources
    configs = {entry[0]: entry[1] for entry in resource[4]}
    return int(configs["retention.ms"])


async def test_a_created_case_topic_keeps_its_events_for_ever_and_its_dead_letters_thirty_days(
    servers: Endpoints,
) -> None:
    namespace = scratch_namespace("topics")
    await ensure_topics(servers.kafka_bootstrap, [REFERRAL], namespace=namespace)

    assert await _retention(servers.kafka_bootstrap, namespace + REFERRAL.name) == -1
    dead_letters = await _retention(servers.kafka_bootstrap, namespace + REFERRAL.dead_letter)
    assert dead_letters == DEAD_LETTER_RETENTION_MS == 30 * 24 * 3600 * 1000


async def test_consumers_starting_right_after_their_topics_are_made_log_no_leader_error(
    servers: Endpoints, caplog: pytest.LogCaptureFixture
) -> None:
    # A topic's partitions have no leader for a moment after it is made: a consumer group asking for
    # offsets then was told NotLeaderForPartition, which aiokafka logs as an error (in 3 starts of 8 on
    # one topic, here).
    with caplog.at_level(logging.ERROR, logger="aiokafka"):
        for _ in range(6):
            namespace = scratch_namespace("topics")
            await ensure_topics(servers.kafka_bootstrap, TOPICS, namespace=namespace)
            consumer = AIOKafkaConsumer(
                *(namespace + topic.name for topic in TOPICS),
                bootstrap_servers=servers.kafka_bootstrap,
                group_id=namespace,
                enable_auto_commit=False,
            )
            await consumer.start()
            try:
                for _ in range(2):
                    await consumer.getmany(timeout_ms=300)
            finally:
                await consumer.stop()

    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert [error for error in errors if "NotLeaderForPartition" in error] == []
