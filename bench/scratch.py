"""The databases and topics a benchmark run makes, removed when it ends: a run of bench/pipeline.py
alone leaves three databases and hundreds of thousands of records behind otherwise."""

from __future__ import annotations

from spean_local.endpoints import Endpoints
from spean_local.scratch import ScratchDatabases, delete_scratch_topics, topic_names


class Scratch:
    """`async with Scratch(endpoints) as scratch:` then `await scratch.database()` for an empty database;
    topics made in the meantime under a run's own namespace (`bench-1a2b3c4d.`) go too."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        self.databases = ScratchDatabases(endpoints.postgres_dsn, "bench")
        self.topics_before: set[str] = set()

    async def __aenter__(self) -> Scratch:
        self.topics_before = await topic_names(self.endpoints.kafka_bootstrap)
        return self

    async def database(self) -> str:
        return await self.databases.new()

    async def __aexit__(self, *_: object) -> None:
        await self.databases.drop_all()
        await delete_scratch_topics(self.endpoints.kafka_bootstrap, self.topics_before)
