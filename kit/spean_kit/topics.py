"""Creating the topics a service uses, and their dead-letter twins, when they do not exist yet."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaTimeoutError

from spean_contracts import Topic
from spean_contracts.registry import DEAD_LETTER_RETENTION_MS, TOPICS
from spean_kit.deadletter import dead_letter_topic
from spean_kit.kafka_access import KafkaAccess, access_of


async def ensure_topics(
    bootstrap: str | KafkaAccess, topics: Iterable[Topic], *, replication: int = 1, namespace: str = ""
) -> None:
    """Creates those of `topics` and their dead-letter twins that do not exist yet, with the partitions
    and retention their contract gives: a broker's default retention (a week, in Kafka) would delete
    the events the registry rebuilds from. Where the topics already exist (a cluster's topic operator
    made them, from deploy/k8s), they are left as they are."""
    wanted: dict[str, tuple[int, int]] = {}
    for topic in topics:
        wanted[namespace + topic.name] = (topic.partitions, topic.retention_ms)
        wanted[dead_letter_topic(namespace + topic.name)] = (1, DEAD_LETTER_RETENTION_MS)
    admin = AIOKafkaAdminClient(**access_of(bootstrap).options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, partitions, replication, topic_configs={"retention.ms": str(retention)})
            for name, (partitions, retention) in wanted.items()
            if name not in existing
        ]
        if missing:
            # Another replica may create the same topics at the same moment: that answer is fine too.
            await admin.create_topics(missing)
        await _leaders_answering(bootstrap, admin, list(wanted))
    finally:
        await admin.close()


async def _leaders_answering(bootstrap: str | KafkaAccess, admin: AIOKafkaAdminClient, topics: list[str]) -> None:
    """Returns once the leader of every partition of `topics` answers for its offsets. For a moment
    after a topic is created (here, or by the service that owns it) they do not, and a consumer group
    asking then is told NotLeaderForPartition, which aiokafka logs as an error: in every consuming
    service, at every fresh start. Asked this way, aiokafka retries quietly. A leader later than the
    request timeout is left to the consumers, which retry too."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    # A topic made a moment ago may not be described yet, or not with its partitions.
    described = await admin.describe_topics(topics)
    while any(t["error_code"] or not t["partitions"] for t in described) and loop.time() < deadline:
        await asyncio.sleep(0.01)
        described = await admin.describe_topics(topics)
    partitions = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    # Asked again every 10 ms, not every 100: a service waits here at every start.
    consumer = AIOKafkaConsumer(**access_of(bootstrap).options(), retry_backoff_ms=10)
    await consumer.start()
    try:
        with contextlib.suppress(KafkaTimeoutError):
            await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()


async def partitions_of(bootstrap: str | KafkaAccess, topics: Iterable[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(**access_of(bootstrap).options())
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]


async def group_caught_up(bootstrap: str | KafkaAccess, group: str, topics: Iterable[str]) -> bool:
    """Whether `group` has committed offsets at the end of every partition of `topics` (lag zero)."""
    partitions = await partitions_of(bootstrap, topics)
    consumer = AIOKafkaConsumer(**access_of(bootstrap).options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
        for partition in partitions:
            if ends[partition] > (await consumer.committed(partition) or 0):
                return False
        return True
    finally:
        await consumer.stop()


async def rewind(bootstrap: str | KafkaAccess, group: str, topics: Iterable[str]) -> None:
    """Set `group`'s offsets to 0 on every partition of `topics` (the group must have no live member)."""
    partitions = await partitions_of(bootstrap, topics)
    consumer = AIOKafkaConsumer(**access_of(bootstrap).options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.commit(dict.fromkeys(partitions, 0))
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    behind: int
    """Records on the topic's partitions after the group's committed offsets."""


async def consumer_lags(bootstrap: str | KafkaAccess, namespace: str = "") -> list[Lag]:
    """How far each of the platform's consumer groups (those named `<namespace>spean-...`) is behind
    the end of each of the platform's topics (under `namespace`) it has committed offsets on."""
    topics = {namespace + topic.name for topic in TOPICS}
    admin = AIOKafkaAdminClient(**access_of(bootstrap).options())
    await admin.start()
    try:
        groups = sorted(
            group_id for group_id, *_ in await admin.list_consumer_groups() if group_id.startswith(f"{namespace}spean-")
        )
        committed = {group: await admin.list_consumer_group_offsets(group) for group in groups}
    finally:
        await admin.close()
    committed = {
        group: {partition: offset for partition, offset in offsets.items() if partition.topic in topics}
        for group, offsets in committed.items()
    }
    partitions = {partition for offsets in committed.values() for partition in offsets}
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(**access_of(bootstrap).options(), enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(list(partitions))
    finally:
        await consumer.stop()
    behind: dict[tuple[str, str], int] = {}
    for group, offsets in committed.items():
        for partition, offset in offsets.items():
            key = (group, partition.topic)
            behind[key] = behind.get(key, 0) + max(0, ends[partition] - max(offset.offset, 0))
    return [Lag(group, topic, lag) for (group, topic), lag in sorted(behind.items())]
