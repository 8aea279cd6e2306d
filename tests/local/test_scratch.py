"""A test session or a benchmark deletes the topics it made, and nothing else."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from spean_local.endpoints import Endpoints
from spean_local.scratch import ScratchDatabases, ScratchTopics, scratch_label, topic_names
from tests.support.app import eventually


async def _create(bootstrap: str, *names: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1) for name in names])
    finally:
        await admin.close()


async def test_a_run_deletes_the_topics_of_its_own_namespaces_and_leaves_another_runs(servers: Endpoints) -> None:
    bootstrap = servers.kafka_bootstrap
    run, beside_it = ScratchTopics(), ScratchTopics()
    ours = run.namespace("bench") + "spean.identification.v1"
    # Another test session or a benchmark on the same servers, which made its topics while this run went on.
    beside = beside_it.namespace("kit") + "spean.identification.v1"
    platform = f"spean.scratch-test-{uuid.uuid4().hex[:8]}.v1"
    await _create(bootstrap, ours, beside, platform)
    try:
        assert await run.delete(bootstrap) == [ours]

        async def gone() -> bool:
            return ours not in await topic_names(bootstrap)

        await eventually(gone, what=f"{ours} deleted")
        assert {beside, platform} <= await topic_names(bootstrap)
    finally:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([beside, platform])
        finally:
            await admin.close()


async def test_a_run_drops_the_databases_a_killed_run_left_and_no_others(servers: Endpoints) -> None:
    killed = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")  # ended, as a killed run has
    await killed.wait()
    admin = await asyncpg.connect(servers.postgres_dsn)
    left = [f"test_left{uuid.uuid4().hex[:8]}" for _ in range(3)]
    labels = [scratch_label(killed.pid), scratch_label(os.getpid()), f"spean scratch: host elsewhere pid {killed.pid}"]
    try:
        for name, label in zip(left, labels, strict=True):
            await admin.execute(f'CREATE DATABASE "{name}"')
            await admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{label}'")
        run = ScratchDatabases(servers.postgres_dsn, "test")
        await run.new()
        await run.drop_all()
        remaining = {row["datname"] for row in await admin.fetch("SELECT datname FROM pg_database")}
        # The killed run's is gone; a live run's and another host's stay.
        assert [name in remaining for name in left] == [False, True, True]
    finally:
        for name in left:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
