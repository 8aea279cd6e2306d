"""Creating the topics a service uses, and their dead-letter twins, when they do not exist yet."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from spean_contracts import Topic
from spean_kit.deadletter import dead_letter_topic


async def ensure_topics(bootstrap: str, topics: Iterable[Topic], *, replication: int = 1, namespace: str = "") -> None:
    wanted = {}
    for topic in topics:
        wanted[namespace + topic.name] = topic.partitions
        wanted[dead_letter_topic(namespace + topic.name)] = 1
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, partitions, replication) for name, partitions in wanted.items() if name not in existing
        ]
        if missing:
            # Another replica may create the same topics at the same moment: that answer is fine too.
            await admin.create_topics(missing)
    finally:
        await admin.close()
