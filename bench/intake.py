"""Benchmark: bulk intake of N screenings (default 10,000) as one CSV through the identification API
(validation, assessment, encryption per case, match keys, outbox), against the raw limit measured in
the same run: asyncpg COPY of the same number of rows into a table of the same width.

    uv run python -m bench.intake --rows 10000

Uses the servers of `make up` (starts them if needed). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import csv
import io
import os
import time

import asyncpg
import httpx

from bench.scratch import Scratch, servers
from spean_identification.app import build
from spean_identification.settings import IdentificationSettings
from spean_local.scratch import scratch_namespace


def screenings_csv(rows: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "encountered_at",
            "encounter",
            "province",
            "names",
            "birth_date",
            "sex",
            "nationality",
            "acts",
            "means",
            "purposes",
            "continuum",
        ]
    )
    for i in range(rows):
        writer.writerow(
            [
                "2026-11-02T08:00:00+07:00",
                "deportee-transit",
                "KH-1",
                f"Bench Person {i}",
                f"19{80 + i % 20}-0{1 + i % 9}-1{i % 10}",
                "male" if i % 2 else "female",
                "KHM",
                "transport",
                "debt-bondage",
                "forced-labour",
                "C",
            ]
        )
    return out.getvalue()


async def main(rows: int) -> None:
    endpoints = await servers()
    async with Scratch(endpoints) as scratch:
        settings = IdentificationSettings(
            database_url=await scratch.database(),
            kafka_bootstrap=endpoints.kafka_bootstrap,
            keycloak_url=endpoints.keycloak_url,
            topic_namespace=scratch_namespace("bench"),
            master_key=base64.b64encode(os.urandom(32)).decode(),
            match_key_secret=base64.b64encode(os.urandom(32)).decode(),
        )
        token = endpoints.client_token("poipet-tc-system")["access_token"]
        body = screenings_csv(rows)
        app = build(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as client:
                began = time.perf_counter()
                answer = await client.post(
                    "/screenings/bulk",
                    content=body,
                    headers={"Authorization": f"Bearer {token}", "content-type": "text/csv"},
                )
                spean = time.perf_counter() - began
        assert answer.json()["created"] == rows, answer.text[:500]

        connection = await asyncpg.connect(await scratch.database())
        await connection.execute("CREATE TABLE raw_screening (id text, case_id text, payload bytea, details text)")
        records = [(f"scr-{i}", f"case-{i}", os.urandom(400), line) for i, line in enumerate(body.splitlines()[1:])]
        began = time.perf_counter()
        await connection.copy_records_to_table("raw_screening", records=records)
        raw = time.perf_counter() - began
        await connection.close()

    print(f"rows: {rows}")
    print(f"spean bulk intake   {rows / spean:>10.0f} rows/s ({spean:.1f}s)")
    print(f"raw asyncpg COPY    {rows / raw:>10.0f} rows/s ({raw:.2f}s)")
    print(f"ratio spean/raw     {raw / spean:>10.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().rows))
