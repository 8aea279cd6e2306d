"""The databases and topics a benchmark run makes, removed when it ends: a run of bench/pipeline.py
alone leaves three databases and hundreds of thousands of records behind otherwise."""

from __future__ import annotations

import uuid

import asyncpg

from spean_local.endpoints import Endpoints
from spean_local.scratch import delete_scratch_topics, topic_names


class Scratch:
    """`async with Scratch(endpoints) as scratch:` then `await scratch.database()` for an empty database;
    topics made in the meantime under a run's own namespace (`bench-1a2b3c4d.`) go too."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        self.databases: list[str] = []
        self.topics_before: set[str] = set()

    async def __aenter__(self) -> Scratch:
        self.topics_before = await topic_names(self.endpoints.kafka_bootstrap)
        return self

    async def database(self) -> str:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        connection = await asyncpg.connect(self.endpoints.postgres_dsn)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        self.databases.append(name)
        return self.endpoints.postgres_dsn.rsplit("/", 1)[0] + f"/{name}"

    async def __aexit__(self, *_: object) -> None:
        connection = await asyncpg.connect(self.endpoints.postgres_dsn)
        try:
            for name in self.databases:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
        await delete_scratch_topics(self.endpoints.kafka_bootstrap, self.topics_before)
