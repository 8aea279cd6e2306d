"""The servers a benchmark runs on, and the databases and topics it makes, removed when it ends: a run of
bench/pipeline.py alone leaves three databases and hundreds of thousands of records behind otherwise."""

from __future__ import annotations

import asyncio

from spean_local.endpoints import Endpoints
from spean_local.paths import Layout, Ports
from spean_local.scratch import RUN_TOPICS, ScratchDatabases
from spean_local.servers import all_servers
from spean_local.starting import start_all


async def servers() -> Endpoints:
    """The servers of `make up`, started first where they are not running."""
    layout, ports = Layout.from_env(), Ports()
    await asyncio.to_thread(start_all, all_servers(layout, ports))
    return Endpoints.local(layout, ports)


class Scratch:
    """`async with Scratch(endpoints) as scratch:` then `await scratch.database()` for an empty database;
    topics made under the run's own namespaces (`scratch_namespace`) go too."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        self.databases = ScratchDatabases(endpoints.postgres_dsn, "bench")

    async def __aenter__(self) -> Scratch:
        return self

    async def database(self) -> str:
        return await self.databases.new()

    async def __aexit__(self, *_: object) -> None:
        await self.databases.drop_all()
        await RUN_TOPICS.delete(self.endpoints.kafka_bootstrap)
