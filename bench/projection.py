"""Benchmark: the registry's projection replaying N case events from Kafka offset 0 (what
`make registry-rebuild` does), against the raw limit measured in the same run: aiokafka consumption of
the same records plus asyncpg COPY of one row per event.

    uv run python -m bench.projection --events 1000000

The events are the contracts' examples, spread over N/10 cases (a journey of ten events each, on the
four case topics). Uses the servers of `make up` (starts them if needed). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.scratch import Scratch, servers
from spean_contracts import source_of, to_kafka_record
from spean_contracts.registry import CATALOGUE, TOPICS
from spean_local.scratch import scratch_namespace
from spean_registry.rebuild import rebuild
from spean_registry.settings import RegistrySettings

JOURNEY = [
    "identification.screening-recorded",
    "identification.determination-made",
    "case.identified",
    "referral.case-opened",
    "referral.offered",
    "referral.accepted",
    "case.referred",
    "repatriation.requested",
    "prosecution.court-outcome-recorded",
    "case.prosecuted",
]
SPECS = {spec.name: spec for spec in CATALOGUE}


def _match_key(case_id: str, n: int) -> str:
    """Distinct people: each case its own keys (the examples all share one person's)."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"{case_id}/{n}".encode()).digest()).decode().rstrip("=")


async def publish(
    bootstrap: str, namespace: str, events: int
) -> list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]:
    """Publishes the events (raw producer: this is setup, not measured); returns what was sent."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(namespace + topic.name, 6, 1) for topic in TOPICS])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024, acks=1)
    await producer.start()
    sent = []
    for i in range(events):
        spec = SPECS[JOURNEY[i % len(JOURNEY)]]
        case_id = f"case-bench-{i // len(JOURNEY):08d}"
        fields = {**spec.examples[0], "case_id": case_id}
        if "match_keys" in fields:
            fields["match_keys"] = [_match_key(case_id, n) for n in range(2)]
        data = spec.model.model_validate(fields)
        record = to_kafka_record(data, source=source_of("bench", "MOSVY"))
        topic = namespace + spec.topic.name
        await producer.send(topic, record.value, key=record.key, headers=record.headers)
        sent.append((topic, record.key, record.value, record.headers))
    await producer.flush()
    await producer.stop()
    return sent


async def raw_limit(
    bootstrap: str, database: str, sent: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]
) -> float:
    """Seconds to consume every record with aiokafka and COPY one row per event into PostgreSQL."""
    topics = sorted({topic for topic, *_ in sent})
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=f"raw-{uuid.uuid4().hex[:8]}"
    )
    connection = await asyncpg.connect(database)
    await connection.execute("CREATE TABLE raw_entry (case_id text, event_id text, type text, data bytea)")
    await consumer.start()
    began = time.perf_counter()
    seen = 0
    while seen < len(sent):
        batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
        rows = [
            (r.key.decode(), dict(r.headers)["ce_id"].decode(), dict(r.headers)["ce_type"].decode(), r.value)
            for records in batches.values()
            for r in records
        ]
        if rows:
            await connection.copy_records_to_table("raw_entry", records=rows)
        seen += len(rows)
    elapsed = time.perf_counter() - began
    await consumer.stop()
    await connection.close()
    return elapsed


async def main(events: int) -> None:
    endpoints = await servers()
    namespace = scratch_namespace("bench-projection")
    async with Scratch(endpoints) as scratch:
        began = time.perf_counter()
        sent = await publish(endpoints.kafka_bootstrap, namespace, events)
        print(f"published {events} events in {time.perf_counter() - began:.1f}s (setup)")

        raw = await raw_limit(endpoints.kafka_bootstrap, await scratch.database(), sent)
        settings = RegistrySettings(
            database_url=await scratch.database(),
            kafka_bootstrap=endpoints.kafka_bootstrap,
            keycloak_url=endpoints.keycloak_url,
            topic_namespace=namespace,
        )
        spean = await rebuild(settings)

    print(f"events: {events} ({events // len(JOURNEY)} cases)")
    print(f"raw aiokafka consume + asyncpg COPY {events / raw:>10.0f} events/s ({raw:.1f}s)")
    print(f"registry projection (rebuild)       {events / spean:>10.0f} events/s ({spean:.1f}s)")
    print(f"ratio projection/raw                {raw / spean:>10.3f}")
    print(f"rebuild time                        {spean:>10.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    asyncio.run(main(parser.parse_args().events))
