"""`spean-registry rebuild` (make registry-rebuild): the national case index rebuilt from Kafka,
from offset 0 of every case topic, then the analysts' decisions applied again. Run it with the
registry stopped; the rebuilt state equals the live one."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import sqlalchemy as sa
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from spean_kit.consumer import IdempotentConsumer
from spean_kit.database import create_engine, migrate, session_factory
from spean_kit.deadletter import DeadLetters
from spean_kit.outbox import Stager
from spean_kit.tables import inbox
from spean_kit.telemetry import Telemetry
from spean_kit.topics import group_caught_up, rewind
from spean_registry.adapters import tables
from spean_registry.app import MIGRATIONS
from spean_registry.decisions import reapply_decisions
from spean_registry.settings import RegistrySettings
from spean_registry.subscription import PROJECTION, projected_topics


async def rebuild(settings: RegistrySettings) -> float:
    """Rebuilds the projection; returns the seconds it took."""
    began = time.perf_counter()
    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)
    engine = create_engine(settings.database_url, settings.schema_name)
    sessions = session_factory(engine)
    topics = projected_topics(settings)
    consumer = IdempotentConsumer(
        group=settings.consumer_group,
        subscription=dataclasses.replace(PROJECTION, topics=tuple(topics)),
        bootstrap=settings.kafka,
        sessions=sessions,
        dead_letters=DeadLetters(settings.kafka),
        telemetry=Telemetry(TracerProvider(), MeterProvider()),
        stage=Stager("/spean/registry/rebuild", settings.topic_namespace),
    )
    names = ", ".join(model.__tablename__ for model in tables.PROJECTION)
    async with sessions() as session, session.begin():
        await session.execute(sa.text(f"TRUNCATE {names}"))
        await session.exec(sa.delete(inbox).where(inbox.c.consumer == consumer.inbox_name))
    await rewind(settings.kafka, settings.consumer_group, topics)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        while not await group_caught_up(settings.kafka, settings.consumer_group, topics):
            if task.done():
                task.result()
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        await task
        await consumer.dead_letters.close()
    async with sessions() as session, session.begin():
        await reapply_decisions(session)
    await engine.dispose()
    return time.perf_counter() - began
