"""Benchmark: events through outbox -> relay -> Kafka -> idempotent consumer -> PostgreSQL, against the
raw limit measured in the same run (aiokafka produce and consume of the same payloads, asyncpg COPY of
the same rows), plus latency from commit to consumer effect at a steady rate. Each figure comes with
the CPU this process spent per event, and the pipeline's stages are also measured one at a time, so
that the output says where the time goes, not only how much there is.

    uv run python -m bench.pipeline --events 100000 --rate 500 --seconds 20 --rounds 3

Uses the servers of `make up` (starts them if needed). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import asyncpg
import psutil
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from opentelemetry.trace import SpanKind

from bench.scratch import Scratch
from spean_contracts import KafkaRecord, source_of, to_kafka_record
from spean_contracts.events import CaseIdentified
from spean_kit.outbox import PartitionBatches, new_producer
from spean_kit.service import Runtime
from spean_kit.settings import ServiceSettings
from spean_local.endpoints import Endpoints
from spean_local.paths import Layout, Ports
from spean_local.servers import all_servers
from spean_local.starting import start_all
from tests.kit.sample.app import build, case_identified

STAGE_BATCH = 500
T = TypeVar("T")


async def _until(check: Callable[[], Awaitable[bool]]) -> None:
    while not await check():  # noqa: ASYNC110 - polls the database; there is no event to wait on
        await asyncio.sleep(0.2)


@dataclass(frozen=True)
class Measured:
    """What some work took: wall-clock seconds, CPU seconds of this process (all its threads), and CPU
    seconds of the whole machine (this process, Kafka, PostgreSQL and the rest)."""

    wall: float
    cpu: float
    machine: float

    def __add__(self, other: Measured) -> Measured:
        return Measured(self.wall + other.wall, self.cpu + other.cpu, self.machine + other.machine)

    def line(self, name: str, events: int) -> str:
        return (
            f"{name:<42} {events / self.wall:>8.0f} events/s {1e6 * self.cpu / events:>6.1f} µs CPU/event here "
            f"(busy {100 * self.cpu / self.wall:3.0f}%), {1e6 * self.machine / events:>6.1f} on the machine"
        )


class Stopwatch:
    """Measures the block it wraps: `with Stopwatch() as watch: ...`, then `watch.measured`."""

    measured: Measured

    def __enter__(self) -> Stopwatch:
        psutil.cpu_percent()  # starts the machine-wide interval that the call in __exit__ ends
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        wall, cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu
        self.measured = Measured(wall, cpu, psutil.cpu_percent() / 100 * (psutil.cpu_count() or 1) * wall)


def intakes(events: int) -> list[list[CaseIdentified]]:
    """The events of `events` screenings, as bulk intake requests bring them (built before the clock
    starts, as the raw side's payloads are: the pipeline begins where a handler stages them). Built once
    the service has started, and left out of Python's garbage collections: a service holds a request's
    events only while it handles it, the benchmark holds them all, and walking them at every full
    collection cost more than a tenth of the pipeline's throughput."""
    return unwalked(
        [
            [case_identified(f"bench-{i:07d}") for i in range(start, min(events, start + STAGE_BATCH))]
            for start in range(0, events, STAGE_BATCH)
        ]
    )


def unwalked(inputs: T) -> T:
    """`inputs` (with everything else made so far) left out of Python's garbage collections, until a
    service's shutdown puts them back."""
    gc.freeze()
    return inputs


async def stage(runtime: Runtime, requests: list[list[CaseIdentified]]) -> None:
    """Each request's events staged in one transaction, under the request's span."""
    for batch in requests:
        with runtime.telemetry.tracer.start_as_current_span("POST /intake", kind=SpanKind.SERVER):
            async with runtime.sessions() as session, session.begin():
                await runtime.stage(session, *batch)


async def applied(settings: ServiceSettings, events: int) -> None:
    """Returns once the consumer has applied `events` effects."""
    connection = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.schema_name})
    try:

        async def done() -> bool:
            return bool(await connection.fetchval("SELECT count(*) FROM sample_effect") >= events)

        await _until(done)
    finally:
        await connection.close()


async def spean_throughput(settings: ServiceSettings, events: int) -> Measured:
    """From the first staged event to the last consumer effect, the service's workers running along."""
    app = build(settings)
    async with app.router.lifespan_context(app):
        requests = intakes(events)
        with Stopwatch() as watch:
            await stage(app.state.runtime, requests)
            await applied(settings, events)
    return watch.measured


async def spean_stages(settings: ServiceSettings, events: int) -> tuple[Measured, Measured, Measured]:
    """Each of the pipeline's stages on its own, the next started once the one before has finished:
    where the time goes."""
    app = build(settings, background=False)
    async with app.router.lifespan_context(app):
        requests = intakes(events)
        runtime: Runtime = app.state.runtime
        with Stopwatch() as staged:
            await stage(runtime, requests)
        with Stopwatch() as relayed:
            while await runtime.relay.relay_once():
                pass
        await runtime.relay.close()
        stop = asyncio.Event()
        consuming = asyncio.create_task(runtime.consumers[0].run(stop))
        # From its first effect: joining the consumer group takes seconds, which a running service pays once.
        await applied(settings, 1)
        with Stopwatch() as consumed:
            await applied(settings, events)
        stop.set()
        await consuming
    return staged.measured, relayed.measured, consumed.measured


async def new_topic(endpoints: Endpoints) -> str:
    topic = f"bench-{uuid.uuid4().hex[:8]}.raw"
    admin = AIOKafkaAdminClient(bootstrap_servers=endpoints.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 6, 1)])
    finally:
        await admin.close()
    return topic


async def raw_produce(endpoints: Endpoints, records: list[KafkaRecord], *, batched: bool) -> tuple[str, Measured]:
    """`records` produced with aiokafka alone (idempotent, acks=all, as the relay does): record by
    record with `send`, or in one record batch per partition with `send_batch`."""
    topic = await new_topic(endpoints)
    producer = new_producer(endpoints.kafka_bootstrap)
    await producer.start()
    try:
        with Stopwatch() as watch:
            if batched:
                batches = PartitionBatches(producer)
                for r in records:
                    await batches.append(topic, r.key, r.value, r.headers)
                await batches.sent()
            else:
                sends = [await producer.send(topic, r.value, key=r.key, headers=r.headers) for r in records]
                await asyncio.gather(*sends)
        return topic, watch.measured
    finally:
        await producer.stop()


async def raw_consume(endpoints: Endpoints, topic: str, events: int) -> Measured:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=endpoints.kafka_bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        with Stopwatch() as watch:
            seen = 0
            while seen < events:
                seen += sum(len(batch) for batch in (await consumer.getmany(timeout_ms=500, max_records=5000)).values())
        return watch.measured
    finally:
        await consumer.stop()


async def raw_copy(database: str, records: list[KafkaRecord]) -> Measured:
    connection = await asyncpg.connect(database)
    try:
        await connection.execute("CREATE TABLE raw_effect (case_id text, event_id text)")
        rows = [(r.key.decode(), dict(r.headers)["ce_id"].decode()) for r in records]
        with Stopwatch() as watch:
            await connection.copy_records_to_table("raw_effect", records=rows)
        return watch.measured
    finally:
        await connection.close()


def raw_records(events: int, prefix: str = "raw") -> list[KafkaRecord]:
    """The raw side's payloads, left out of garbage collections as the pipeline's events are."""
    source = source_of("bench", "MOSVY")
    return unwalked([to_kafka_record(case_identified(f"{prefix}-{i:07d}"), source=source) for i in range(events)])


async def warm_up(endpoints: Endpoints) -> None:
    """A freshly started Kafka runs its first thousands of records through an unwarmed JVM: whichever
    side of the comparison went first would pay for it."""
    records = raw_records(5_000, "warm")
    topic, _ = await raw_produce(endpoints, records, batched=False)
    await raw_consume(endpoints, topic, len(records))


async def latency(settings: ServiceSettings, rate: int, seconds: float) -> list[float]:
    """Milliseconds from commit to effect for events committed one by one at `rate` per second."""
    app = build(settings)
    committed: dict[str, datetime] = {}
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        connection = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.schema_name})
        total = int(rate * seconds)
        began = time.perf_counter()
        for i in range(total):
            with runtime.telemetry.tracer.start_as_current_span("POST /screenings", kind=SpanKind.SERVER):
                async with runtime.sessions() as session, session.begin():
                    (event_id,) = await runtime.stage(session, case_identified(f"steady-{i:07d}"))
            committed[event_id] = datetime.now(UTC)
            ahead = began + (i + 1) / rate - time.perf_counter()
            if ahead > 0:
                await asyncio.sleep(ahead)

        async def done() -> bool:
            return bool(await connection.fetchval("SELECT count(*) FROM sample_effect") >= total)

        await _until(done)
        # The effect's time is when its row was written (clock_timestamp()): the same clock, one machine.
        effects = await connection.fetch("SELECT event_id, applied_at FROM sample_effect")
        await connection.close()
    return [(row["applied_at"] - committed[row["event_id"]]).total_seconds() * 1000 for row in effects]


def _settings(endpoints: Endpoints, database: str) -> ServiceSettings:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    return ServiceSettings(
        service_name=name,
        topic_namespace=f"{name}.",
        database_url=database,
        kafka_bootstrap=endpoints.kafka_bootstrap,
        keycloak_url=endpoints.keycloak_url,
        outbox_poll_seconds=0.02,
    )


@dataclass(frozen=True)
class Round:
    """One round of the comparison: the pipeline, then the raw limit, back to back."""

    spean: Measured
    produce_each: Measured
    produce: Measured
    consume: Measured
    copy: Measured

    @property
    def raw(self) -> Measured:
        # The limit is the fastest the libraries go: batches per partition, as the relay sends them.
        return min(self.produce, self.produce_each, key=lambda m: m.wall) + self.consume + self.copy

    @property
    def ratio(self) -> float:
        return self.raw.wall / self.spean.wall


async def comparison(endpoints: Endpoints, scratch: Scratch, events: int) -> Round:
    spean = await spean_throughput(_settings(endpoints, await scratch.database()), events)
    # Built after the service's shutdown, which puts whatever was kept out of collections back in.
    records = raw_records(events)
    _, produce_each = await raw_produce(endpoints, records, batched=False)
    topic, produce = await raw_produce(endpoints, records, batched=True)
    consume = await raw_consume(endpoints, topic, events)
    copy = await raw_copy(await scratch.database(), records)
    return Round(spean, produce_each, produce, consume, copy)


async def main(events: int, rate: int, seconds: float, rounds: int) -> None:
    layout, ports = Layout.from_env(), Ports()
    await asyncio.to_thread(start_all, all_servers(layout, ports))
    endpoints = Endpoints.local(layout, ports)

    async with Scratch(endpoints) as scratch:
        await warm_up(endpoints)
        # Kafka's and PostgreSQL's pace on a shared machine drifts by a fifth or more within minutes:
        # each round measures both sides back to back, and the median round is the one reported.
        measured = [await comparison(endpoints, scratch, events) for _ in range(rounds)]
        stages = await spean_stages(_settings(endpoints, await scratch.database()), events)
        latencies = await latency(_settings(endpoints, await scratch.database()), rate, seconds)

    print(f"events: {events}, on {psutil.cpu_count()} CPUs shared with Kafka and PostgreSQL")
    for number, comparing in enumerate(measured, 1):
        print(f"round {number}: ratio spean/raw {comparing.ratio:.3f}")
    median = sorted(measured, key=lambda comparing: comparing.ratio)[len(measured) // 2]
    print(f"the median round ({rounds} rounds):")
    print(median.produce_each.line("raw aiokafka produce (send)", events))
    print(median.produce.line("raw aiokafka produce (send_batch)", events))
    print(median.consume.line("raw aiokafka consume", events))
    print(median.copy.line("raw asyncpg COPY", events))
    print(median.raw.line("raw limit (produce + consume + COPY)", events))
    print(median.spean.line("spean pipeline", events))
    for stage_measured, name in zip(
        stages, ("stage (encode, INSERT)", "relay (SELECT, produce, DELETE)", "consume"), strict=True
    ):
        print(stage_measured.line(f"  alone: {name}", events))
    print(f"ratio spean/raw       {median.ratio:>10.3f} (median of {rounds} rounds)")
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        f"latency commit->effect at {rate}/s for {seconds:.0f}s: p50 {quantiles[49]:.1f} ms, p99 {quantiles[98]:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="comparisons of the two sides; the median is reported")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.events, arguments.rate, arguments.seconds, arguments.rounds))
