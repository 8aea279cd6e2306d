"""Topics that test sessions and benchmarks leave on a shared Kafka, removed when they end. Each run
makes hundreds of topics under namespaces of its own (`kit-1a2b3c4d.`), and a developer's Kafka kept
them all: 14,000 partition folders ran its heap out in the middle of a suite."""

from __future__ import annotations

import re

from aiokafka.admin import AIOKafkaAdminClient

# A run's own namespace: a word and eight hex digits. The platform's topics (`spean.…`) never match.
SCRATCH_NAMESPACE = re.compile(r"^[a-z0-9-]+-[0-9a-f]{8}\.")


async def topic_names(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def delete_scratch_topics(bootstrap: str, existing_before: set[str]) -> list[str]:
    """Deletes the topics in a run's own namespaces made since `existing_before` was listed; returns them."""
    made = sorted(t for t in await topic_names(bootstrap) - existing_before if SCRATCH_NAMESPACE.match(t))
    if not made:
        return made
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(made)
    finally:
        await admin.close()
    return made
