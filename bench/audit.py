"""Benchmark: entries appended to a chained audit trail by many requests at once, each in its own
transaction as an audited read's is, against the raw limit measured in the same run: the same rows
inserted with asyncpg alone, one transaction each, at the same concurrency over as many connections.
Between the two, the same rows added through the service's sessions without chaining: what the kit's
SQLAlchemy costs, apart from what the chain costs (its lock lets one append through at a time, from
reading the last hash to the commit).

    uv run python -m bench.audit --entries 5000 --concurrency 50

Uses the servers of `make up` (starts them if needed). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg

from bench.measuring import Measured, Stopwatch
from bench.scratch import Scratch, servers
from spean_kit import audit
from spean_kit.service import Runtime
from spean_kit.settings import ServiceSettings
from spean_local.endpoints import Endpoints
from spean_local.scratch import scratch_namespace
from tests.kit.sample.app import SampleRead, build

# The kit engine's pool: both sides write over as many connections.
CONNECTIONS = 10


async def at_once(count: int, concurrency: int, work: Callable[[int], Awaitable[None]]) -> Measured:
    """`work(0)` ... `work(count - 1)`, at most `concurrency` of them running at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(number: int) -> None:
        async with gate:
            await work(number)

    with Stopwatch() as watch:
        await asyncio.gather(*(one(number) for number in range(count)))
    return watch.measured


async def through_the_service(
    endpoints: Endpoints, database: str, entries: int, concurrency: int, *, chain: bool
) -> tuple[Measured, Measured]:
    """The appends, and then the verification of the whole trail (as `GET /audit/verify` and the hourly
    self-check make it)."""
    namespace = scratch_namespace("bench")
    settings = ServiceSettings(
        service_name=namespace.rstrip("."),
        topic_namespace=namespace,
        database_url=database,
        kafka_bootstrap=endpoints.kafka_bootstrap,
        keycloak_url=endpoints.keycloak_url,
    )
    app = build(settings, background=False)
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime

        async def append(number: int) -> None:
            async with runtime.sessions() as session, session.begin():
                read = SampleRead(case_id=f"case-{number:07d}", subject="officer", at=datetime.now(UTC))
                if chain:
                    await audit.append(session, read)
                else:
                    session.add(read)

        appended = await at_once(entries, concurrency, append)
        async with runtime.sessions() as session:
            with Stopwatch() as verifying:
                links = await audit.verify(session, SampleRead)
    assert links.entries == entries
    assert (links.first_broken is None) == chain, "chained, every entry links onto the one before"
    return appended, verifying.measured


async def raw(database: str, entries: int, concurrency: int) -> Measured:
    pool = await asyncpg.create_pool(database, min_size=CONNECTIONS, max_size=CONNECTIONS)
    try:
        await pool.execute(
            "CREATE TABLE raw_read (id bigserial PRIMARY KEY, case_id text, subject text, at timestamptz)"
        )

        async def insert(number: int) -> None:
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute(
                    "INSERT INTO raw_read (case_id, subject, at) VALUES ($1, $2, $3)",
                    f"case-{number:07d}",
                    "officer",
                    datetime.now(UTC),
                )

        return await at_once(entries, concurrency, insert)
    finally:
        await pool.close()


async def main(entries: int, concurrency: int) -> None:
    endpoints = await servers()
    async with Scratch(endpoints) as scratch:
        spean, verified = await through_the_service(
            endpoints, await scratch.database(), entries, concurrency, chain=True
        )
        unchained, _ = await through_the_service(endpoints, await scratch.database(), entries, concurrency, chain=False)
        limit = await raw(await scratch.database(), entries, concurrency)

    print(f"entries: {entries}, {concurrency} at a time over {CONNECTIONS} connections")
    print(limit.line("raw asyncpg INSERT, one transaction each", entries))
    print(unchained.line("the service's sessions, unchained", entries))
    print(spean.line("spean audit.append (chained)", entries))
    print(verified.line("verification of the whole trail", entries))
    print(f"ratio spean/raw       {limit.wall / spean.wall:.3f}")
    print(f"ratio spean/unchained {unchained.wall / spean.wall:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=50)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.entries, arguments.concurrency))
