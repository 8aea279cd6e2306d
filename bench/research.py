"""Benchmark: a national extract of research records (`GET /research/records`) from N cases, a third of
them consenting to research, one person in ten reported twice, against the raw limit measured in the
same run: the same rows fetched with asyncpg alone. Beside the time, how long the registry's event loop
went without running anything else meanwhile (its consumers and every other request wait that long).

    uv run python -m bench.research --cases 100000

Uses the servers of `make up` (starts them if needed). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import asyncpg
import httpx

from bench.measuring import Measured, Stopwatch
from bench.scratch import Scratch, servers
from spean_kit.database import migrate
from spean_local.endpoints import Endpoints
from spean_local.scratch import scratch_namespace
from spean_registry.app import MIGRATIONS, build
from spean_registry.settings import RegistrySettings

# Cases g of 1..N: every tenth shares its national record with the one before; every third consents.
CASES = """
INSERT INTO case_facts (case_id, national_record_id, certainty, exploitation_types, identified, referred,
    repatriated, prosecuted, convicted, gap_needs, breached_deadlines, care_outcomes, year, sex, age_band,
    nationality, province, outcome, identified_at, research_consent, research_consent_at)
SELECT 'case-' || g, 'nr-' || CASE WHEN g % 10 = 0 THEN g - 1 ELSE g END, 'certain', '["sexual"]', true, true,
    false, false, false, '[]', '["placement"]', '["reintegrated"]', 2020 + g % 6,
    CASE WHEN g % 4 = 0 THEN 'male' ELSE 'female' END, '18-24', 'KHM', 'KH-1', 'trafficking-victim',
    now() - (g % 1000) * interval '1 day', CASE WHEN g % 3 = 0 THEN true END, CASE WHEN g % 3 = 0 THEN now() END
FROM generate_series(1, $1) AS g
"""
RAW = """
SELECT * FROM case_facts WHERE national_record_id IN
    (SELECT national_record_id FROM case_facts WHERE research_consent_at IS NOT NULL)
"""


async def _longest_stall(work: asyncio.Task[httpx.Response]) -> float:
    """The longest the event loop went without running this coroutine, while `work` ran."""
    longest = 0.0
    while not work.done():
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        longest = max(longest, time.perf_counter() - before - 0.005)
    return longest


async def through_the_service(endpoints: Endpoints, database: str) -> tuple[Measured, float, int]:
    settings = RegistrySettings(
        database_url=database,
        kafka_bootstrap=endpoints.kafka_bootstrap,
        keycloak_url=endpoints.keycloak_url,
        topic_namespace=scratch_namespace("bench"),
    )
    app = build(settings)
    token = endpoints.client_token("ncct-statistics-system")["access_token"]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry", timeout=600) as client:
            with Stopwatch() as watch:
                extract = asyncio.create_task(
                    client.get(
                        "/research/records",
                        params={"purpose": "benchmark of a national extract"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                )
                stalled = await _longest_stall(extract)
                answer = await extract
    answer.raise_for_status()
    return watch.measured, stalled, len(answer.json()["records"])


async def raw(database: str) -> Measured:
    connection = await asyncpg.connect(database, server_settings={"search_path": "registry"})
    try:
        with Stopwatch() as watch:
            await connection.fetch(RAW)
        return watch.measured
    finally:
        await connection.close()


async def main(cases: int) -> None:
    endpoints = await servers()
    async with Scratch(endpoints) as scratch:
        database = await scratch.database()
        await migrate(database, "registry", MIGRATIONS)
        connection = await asyncpg.connect(database, server_settings={"search_path": "registry"})
        try:
            await connection.execute(CASES, cases)
        finally:
            await connection.close()
        limit = await raw(database)
        spean, stalled, released = await through_the_service(endpoints, database)

    print(f"cases: {cases}; research records released: {released}")
    print(limit.line("raw asyncpg fetch of the consenting persons' cases", released))
    print(spean.line("spean GET /research/records", released))
    print(f"ratio spean/raw       {limit.wall / spean.wall:.3f}")
    print(f"longest event loop stall during the extract: {1000 * stalled:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().cases))
