"""Databases and topics that test sessions and benchmarks make on the shared servers, removed when
they end. Each run makes hundreds of topics under namespaces of its own (`kit-1a2b3c4d.`), and a
developer's Kafka kept them all: 14,000 partition folders ran its heap out in the middle of a suite."""

from __future__ import annotations

import re
import uuid

import asyncpg
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


class ScratchDatabases:
    """Empty databases made on demand on a shared PostgreSQL (`prefix_1a2b…`), dropped together."""

    def __init__(self, admin_dsn: str, prefix: str) -> None:
        self.admin_dsn = admin_dsn
        self.prefix = prefix
        self.names: list[str] = []

    async def new(self) -> str:
        """Creates one; returns its DSN."""
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(self.admin_dsn)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        self.names.append(name)
        return self.admin_dsn.rsplit("/", 1)[0] + f"/{name}"

    async def drop_all(self) -> None:
        admin = await asyncpg.connect(self.admin_dsn)
        try:
            for name in self.names:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
