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
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import psutil
from opentelemetry.trace import SpanKind

from bench.measuring import Measured, Stopwatch, until, unwalked
from bench.raw import (
    durable_limit,
    new_topic,
    outbox_rows,
    raw_consume,
    raw_copy,
    raw_produce,
    raw_records,
    warm_up,
)
from bench.scratch import Scratch, servers
from spean_contracts.events import CaseIdentified
from spean_kit.database import migrate
from spean_kit.service import Runtime
from spean_kit.settings import ServiceSettings
from spean_local.endpoints import Endpoints
from spean_local.scratch import scratch_namespace
from tests.kit.sample.app import MIGRATIONS, build, case_identified

STAGE_BATCH = 500


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

        await until(done)
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

        await until(done)
        # The effect's time is when its row was written (clock_timestamp()): the same clock, one machine.
        effects = await connection.fetch("SELECT event_id, applied_at FROM sample_effect")
        await connection.close()
    return [(row["applied_at"] - committed[row["event_id"]]).total_seconds() * 1000 for row in effects]


def _settings(endpoints: Endpoints, database: str) -> ServiceSettings:
    namespace = scratch_namespace("bench")
    return ServiceSettings(
        service_name=namespace.rstrip("."),
        topic_namespace=namespace,
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
    durable: Measured

    @property
    def raw(self) -> Measured:
        # The limit is the fastest the libraries go: batches per partition, as the relay sends them.
        return min(self.produce, self.produce_each, key=lambda m: m.wall) + self.consume + self.copy

    @property
    def ratio(self) -> float:
        return self.raw.wall / self.spean.wall

    @property
    def durable_ratio(self) -> float:
        return self.durable.wall / self.spean.wall


async def comparison(endpoints: Endpoints, scratch: Scratch, events: int) -> Round:
    spean = await spean_throughput(_settings(endpoints, await scratch.database()), events)
    durable_settings = _settings(endpoints, await scratch.database())
    await migrate(durable_settings.database_url, durable_settings.schema_name, MIGRATIONS)
    # Built after the service's shutdown, which puts whatever was kept out of collections back in.
    records = raw_records(events)
    rows = outbox_rows(records, await new_topic(endpoints))
    _, produce_each = await raw_produce(endpoints, records, batched=False)
    topic, produce = await raw_produce(endpoints, records, batched=True)
    consume = await raw_consume(endpoints, topic, events)
    copy = await raw_copy(await scratch.database(), records)
    durable = await durable_limit(endpoints, durable_settings, rows, STAGE_BATCH)
    return Round(spean, produce_each, produce, consume, copy, durable)


async def main(events: int, rate: int, seconds: float, rounds: int) -> None:
    endpoints = await servers()

    async with Scratch(endpoints) as scratch:
        await warm_up(endpoints)
        # Kafka's and PostgreSQL's pace on a shared machine drifts by a fifth or more within minutes:
        # each round measures both sides back to back, and the median round is the one reported.
        measured = [await comparison(endpoints, scratch, events) for _ in range(rounds)]
        stages = await spean_stages(_settings(endpoints, await scratch.database()), events)
        latencies = await latency(_settings(endpoints, await scratch.database()), rate, seconds)

    print(f"events: {events}, on {psutil.cpu_count()} CPUs shared with Kafka and PostgreSQL")
    for number, comparing in enumerate(measured, 1):
        print(f"round {number}: ratio spean/raw {comparing.ratio:.3f}, spean/raw durable {comparing.durable_ratio:.3f}")
    median = sorted(measured, key=lambda comparing: comparing.ratio)[len(measured) // 2]
    print(f"the median round ({rounds} rounds):")
    print(median.produce_each.line("raw aiokafka produce (send)", events))
    print(median.produce.line("raw aiokafka produce (send_batch)", events))
    print(median.consume.line("raw aiokafka consume", events))
    print(median.copy.line("raw asyncpg COPY", events))
    print(median.raw.line("raw limit (produce + consume + COPY)", events))
    print(median.durable.line("raw durable (the kit's statements)", events))
    print(median.spean.line("spean pipeline", events))
    for stage_measured, name in zip(
        stages, ("stage (encode, INSERT)", "relay (SELECT, produce, DELETE)", "consume"), strict=True
    ):
        print(stage_measured.line(f"  alone: {name}", events))
    print(f"ratio spean/raw       {median.ratio:>10.3f} (median of {rounds} rounds)")
    print(f"ratio spean/durable   {median.durable_ratio:>10.3f} (the same round)")
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
