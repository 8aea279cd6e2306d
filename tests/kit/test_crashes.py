"""Crashes lose no event and double none: a relay killed once Kafka has its batch but before the batch
leaves the outbox, a whole service killed once its effects are written but before their offsets are
committed, replicas joining and leaving while events flow, Kafka away while the API writes, Kafka
killed while events flow, and PostgreSQL away while the API writes and events arrive."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from spean_contracts import source_of
from spean_contracts.registry import IDENTIFICATION
from spean_kit.database import create_engine as kit_engine
from spean_kit.database import migrate, session_factory
from spean_kit.outbox import add_event
from spean_kit.replay import read_topic
from spean_kit.settings import ServiceSettings
from spean_kit.topics import ensure_topics
from spean_local.endpoints import Endpoints
from spean_local.paths import Layout, Ports
from spean_local.servers import Kafka, Postgres
from tests.kit.conftest import SettingsFactory
from tests.kit.sample.app import MIGRATIONS, build, case_identified
from tests.support.app import eventually, free_port, running, scalar
from tests.support.kafka import publish
from tests.support.servers import own_kafka

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Stream:
    """`total` events of cases `prefix-00000`, ... staged in the sample service's outbox, 500 to a
    transaction as bulk intakes stage them, and what became of them downstream."""

    settings: ServiceSettings
    prefix: str
    total: int

    @classmethod
    async def staged(cls, settings: ServiceSettings, name: str, total: int) -> Stream:
        await migrate(settings.database_url, settings.schema_name, MIGRATIONS)
        await ensure_topics(settings.kafka_bootstrap, [IDENTIFICATION], namespace=settings.topic_namespace)
        prefix = f"{name}-{uuid.uuid4().hex[:8]}"
        engine = kit_engine(settings.database_url, settings.schema_name)
        sessions = session_factory(engine)
        for start in range(0, total, 500):
            async with sessions() as session, session.begin():
                for i in range(start, min(total, start + 500)):
                    await add_event(
                        session,
                        case_identified(f"{prefix}-{i:05d}"),
                        source=source_of("test", "MOSVY"),
                        namespace=settings.topic_namespace,
                    )
        await engine.dispose()
        return cls(settings, prefix, total)

    async def applied(self) -> int:
        query = "SELECT count(*) FROM sample_effect WHERE case_id LIKE :p"
        return int(await scalar(self.settings, query, p=f"{self.prefix}%"))

    async def events_applied(self) -> int:
        query = "SELECT count(DISTINCT event_id) FROM sample_effect WHERE case_id LIKE :p"
        return int(await scalar(self.settings, query, p=f"{self.prefix}%"))

    def applied_at_least(self, count: int) -> Callable[[], Awaitable[bool]]:
        async def reached() -> bool:
            return await self.applied() >= count

        return reached

    async def all_applied(self, what: str) -> None:
        """Returns once every event has an effect, and a little longer: a late double would show by then."""
        await eventually(self.applied_at_least(self.total), within=120, what=what)
        await asyncio.sleep(2)  # longer than a poll, a relay turn and a consumer batch

    def service(self, *dying: str) -> subprocess.Popen[bytes]:
        """The sample service in a process of its own (see tests/kit/service_process.py)."""
        command = [sys.executable, "-m", "tests.kit.service_process", self.settings.model_dump_json(), *dying]
        return subprocess.Popen(command, cwd=ROOT)


async def test_a_relay_killed_once_kafka_has_its_batch_publishes_it_again_and_doubles_nothing_downstream(
    make_settings: SettingsFactory,
) -> None:
    stream = await Stream.staged(await make_settings(), "crash", 2000)
    settings, total = stream.settings, stream.total
    topic = settings.topic_namespace + IDENTIFICATION.name

    def relay(*dying: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "tests.kit.relay_process", settings.database_url, settings.schema_name]
        return subprocess.Popen([*command, settings.kafka_bootstrap, "25", *dying], cwd=ROOT)

    async def sent() -> int:
        return total - int(await scalar(settings, "SELECT count(*) FROM outbox"))

    async def on_topic() -> list[ConsumerRecord]:
        return [
            r for r in await read_topic(settings.kafka_bootstrap, topic) if r.key.decode().startswith(stream.prefix)
        ]

    # Killed once Kafka has its 10th batch, before the batch leaves the outbox.
    first = relay("10")
    assert await asyncio.to_thread(first.wait, 120) == -signal.SIGKILL
    assert (await sent(), len(await on_topic())) == (225, 250)

    second = relay()
    try:

        async def drained() -> bool:
            return await sent() == total

        await eventually(drained, within=120, what="the restarted relay draining the outbox")
    finally:
        second.terminate()
        await asyncio.to_thread(second.wait)

    published = await on_topic()
    assert len(published) == total + 25, "the killed relay's last batch is published again"
    assert len({dict(r.headers)["ce_id"] for r in published}) == total
    async with running(build(settings)):
        await stream.all_applied("every event applied downstream")
    assert await stream.applied() == total, "an event applied twice"


async def test_a_service_killed_between_its_effects_and_their_offsets_applies_each_event_once_after_restart(
    make_settings: SettingsFactory,
) -> None:
    # Small relay batches: the consumer commits offsets many times before the last event.
    stream = await Stream.staged(await make_settings(outbox_batch_size=20), "killed", 3000)
    settings = stream.settings

    async def committed() -> int:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        await admin.start()
        try:
            return sum(
                offset.offset for offset in (await admin.list_consumer_group_offsets(settings.consumer_group)).values()
            )
        finally:
            await admin.close()

    first = stream.service("10")
    assert await asyncio.to_thread(first.wait, 120) == -signal.SIGKILL
    applied_before, committed_before = await stream.applied(), await committed()
    assert committed_before < applied_before < stream.total, "the killed service left no event applied but uncommitted"

    second = stream.service()
    try:
        await stream.all_applied("the restarted service applying every event")
    finally:
        second.terminate()
        await asyncio.to_thread(second.wait)

    assert await stream.applied() == stream.total, "an event applied twice"
    assert await stream.events_applied() == stream.total
    assert await scalar(settings, "SELECT count(*) FROM outbox") == 0


async def test_the_api_keeps_answering_while_kafka_is_down_and_every_event_arrives_after(
    make_settings: SettingsFactory, moi_token: Callable[[], str], tmp_path: Path
) -> None:
    kafka = own_kafka(tmp_path, Kafka)
    prefix = f"outage-{uuid.uuid4().hex[:8]}"
    bearer = {"Authorization": f"Bearer {moi_token()}"}
    try:
        await asyncio.to_thread(kafka.ensure_running)
        settings = await make_settings(kafka_bootstrap=kafka.bootstrap)
        async with running(build(settings)) as client:
            pid = kafka.pid()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            await asyncio.to_thread(os.waitpid, pid, 0)

            answers = [
                await client.post(
                    "/cases",
                    json={"case_id": f"{prefix}-{i:03d}", "province": "KH-20", "sex": "female", "age_band": "12-17"},
                    headers=bearer,
                )
                for i in range(25)
            ]
            assert [a.status_code for a in answers] == [201] * 25
            readiness = await client.get("/health/ready")
            assert readiness.status_code == 503
            assert readiness.json()["checks"] == {"database": "up", "kafka": "down"}
            assert await scalar(settings, "SELECT count(*) FROM outbox") == 25

            await asyncio.to_thread(kafka.ensure_running)

            async def all_applied() -> bool:
                applied = await scalar(
                    settings, "SELECT count(*) FROM sample_effect WHERE case_id LIKE :p", p=f"{prefix}%"
                )
                return bool(applied == 25)

            await eventually(all_applied, within=120, what="the events written during the outage")
            assert (await client.get("/health/ready")).json()["checks"] == {"database": "up", "kafka": "up"}
            assert (await client.get("/health/live")).status_code == 200
    finally:
        kafka.stop()


async def test_replicas_joining_and_leaving_while_events_flow_apply_each_event_once(
    make_settings: SettingsFactory,
) -> None:
    # Small relay batches: the stream lasts while one replica joins (a rebalance) and the first leaves.
    stream = await Stream.staged(await make_settings(outbox_batch_size=20), "replicas", 4000)

    first = stream.service()
    second: subprocess.Popen[bytes] | None = None
    try:
        await eventually(stream.applied_at_least(300), what="the first replica applying events")
        second = stream.service()
        await eventually(stream.applied_at_least(1500), what="both replicas applying events")
        first.terminate()
        # A replica told to stop finishes its turn and leaves the group within seconds, as a rolling update wants.
        assert await asyncio.to_thread(first.wait, 30) == 0
        assert await stream.applied() < stream.total, "every event arrived before the first replica left"
        await stream.all_applied("the second replica applying the rest")
    finally:
        for replica in (first, second):
            if replica is not None and replica.poll() is None:
                replica.terminate()
                await asyncio.to_thread(replica.wait)

    assert await stream.applied() == stream.total, "an event applied twice"
    assert await stream.events_applied() == stream.total


async def test_kafka_killed_while_events_flow_loses_none_and_doubles_none_once_it_returns(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    kafka = own_kafka(tmp_path, Kafka)
    try:
        await asyncio.to_thread(kafka.ensure_running)
        # Small relay batches: the relay is mid-publish, and the consumer mid-stream, when Kafka dies.
        settings = await make_settings(kafka_bootstrap=kafka.bootstrap, outbox_batch_size=20)
        stream = await Stream.staged(settings, "kafka-killed", 3000)
        async with running(build(settings)):
            await eventually(stream.applied_at_least(300), what="events flowing")
            pid = kafka.pid()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            await asyncio.to_thread(os.waitpid, pid, 0)
            assert await stream.applied() < stream.total, "every event arrived before Kafka died"
            await asyncio.sleep(2)
            await asyncio.to_thread(kafka.ensure_running)
            await stream.all_applied("every event applied after Kafka returned")
            assert await stream.applied() == stream.total, "an event applied twice"
            published = await read_topic(kafka.bootstrap, settings.topic_namespace + IDENTIFICATION.name)
            dead = await read_topic(kafka.bootstrap, settings.topic_namespace + IDENTIFICATION.dead_letter)
    finally:
        kafka.stop()

    assert len({dict(r.headers)["ce_id"] for r in published}) == stream.total
    assert dead == []


async def test_while_postgresql_is_down_the_api_answers_503_and_events_wait_for_it(
    make_settings: SettingsFactory, moi_token: Callable[[], str], servers: Endpoints, tmp_path: Path
) -> None:
    shared = Layout.from_env()
    postgres = Postgres(
        Layout(root=shared.root, state=tmp_path / "postgres-state", cache=shared.cache), Ports(postgres=free_port())
    )
    prefix = f"pg-outage-{uuid.uuid4().hex[:8]}"
    bearer = {"Authorization": f"Bearer {moi_token()}"}

    def new_case(number: int) -> dict[str, str]:
        return {"case_id": f"{prefix}-{number:03d}", "province": "KH-20", "sex": "female", "age_band": "12-17"}

    try:
        await asyncio.to_thread(postgres.ensure_running)
        settings = await make_settings(database_url=postgres.dsn())
        async with running(build(settings)) as client:
            before = await client.post("/cases", json=new_case(1), headers=bearer)
            pid = postgres.pid()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            await asyncio.to_thread(os.waitpid, pid, 0)

            # A keyed request too: its key is not looked up, nor kept, while the database is away.
            keyed = {**bearer, "Idempotency-Key": f"{prefix}-key"}
            during = [
                await client.post("/cases", json=new_case(2), headers=bearer),
                await client.post("/cases", json=new_case(3), headers=keyed),
            ]
            readiness = await client.get("/health/ready")
            # Events another service published meanwhile: far more time than their attempts would take.
            arriving = [case_identified(f"{prefix}-arrived-{i}") for i in range(3)]
            await publish(servers.kafka_bootstrap, settings.topic_namespace, *arriving)
            await asyncio.sleep(2)

            await asyncio.to_thread(postgres.ensure_running)
            # Sent again once the database is back, under its key: recorded, as nothing was before.
            after = await client.post("/cases", json=new_case(3), headers=keyed)
            kept = await scalar(settings, "SELECT string_agg(case_id, ',' ORDER BY case_id) FROM sample_case")

            async def all_applied() -> bool:
                applied = await scalar(settings, "SELECT count(*) FROM sample_effect")
                return bool(applied == 2 + len(arriving))

            await eventually(all_applied, within=60, what="the events of the cases kept and those that waited")
            dead = await read_topic(servers.kafka_bootstrap, settings.topic_namespace + IDENTIFICATION.dead_letter)
    finally:
        await asyncio.to_thread(postgres.stop)

    assert (before.status_code, after.status_code) == (201, 201)
    assert after.headers.get("Idempotent-Replayed") is None
    for answer in during:
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "urn:kh:spean:problem:unavailable"
        assert int(answer.headers["retry-after"]) > 0
    assert readiness.status_code == 503
    assert readiness.json()["checks"]["database"] == "down"
    assert kept == f"{prefix}-001,{prefix}-003", "nothing of the refused write was kept"
    assert dead == [], "no event was dead-lettered for the database's absence"
