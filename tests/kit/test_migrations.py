"""Migrations at start-up, as every replica of a service runs them: replicas starting together (a first
deployment, a rollout) migrate the database once, and each of them starts."""

from __future__ import annotations

import asyncio
import sys

import asyncpg

from spean_local.pytest_plugin import DatabaseFactory
from spean_registry.app import MIGRATIONS

# One replica's start-up migration, in a process of its own as a replica is. It says when it is ready
# and migrates when told: the replicas begin at the same moment, not a Python start-up apart.
REPLICA = """
import asyncio, sys
from spean_kit.database import migrate
from spean_registry.app import MIGRATIONS
print("ready", flush=True)
sys.stdin.readline()
asyncio.run(migrate(sys.argv[1], "registry", MIGRATIONS))
"""


async def _replicas(database: str, count: int) -> list[tuple[int, str]]:
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            REPLICA,
            database,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(count)
    ]
    for process in processes:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), timeout=60) == b"ready\n"
    answers = await asyncio.gather(*[asyncio.wait_for(p.communicate(b"go\n"), timeout=120) for p in processes])
    return [(p.returncode or 0, errors.decode()[-2000:]) for p, (_, errors) in zip(processes, answers, strict=True)]


async def test_replicas_starting_together_migrate_the_database_once(new_database: DatabaseFactory) -> None:
    database = await new_database()

    started = await _replicas(database, 4)

    assert [error for code, error in started if code != 0] == []
    connection = await asyncpg.connect(database)
    try:
        versions = await connection.fetch("SELECT version_num FROM registry.alembic_version")
    finally:
        await connection.close()
    heads = sorted(path.name.split("_")[0] for path in (MIGRATIONS / "versions").glob("0*.py"))
    assert [row["version_num"] for row in versions] == [heads[-1]]
