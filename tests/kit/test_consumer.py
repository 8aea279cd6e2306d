"""Idempotent consumers: replays change nothing, poison goes to the dead-letter topic, the partition moves on."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaProducer

from spean_contracts import source_of, to_kafka_record
from spean_contracts.registry import IDENTIFICATION
from spean_kit.replay import read_topic
from spean_kit.topics import group_caught_up, rewind
from tests.kit.conftest import SettingsFactory
from tests.kit.sample.app import build, case_identified
from tests.support.app import eventually, running, scalar


async def test_a_group_rewound_to_offset_zero_applies_nothing_twice(
    make_settings: SettingsFactory, moi_token: Callable[[], str]
) -> None:
    settings = await make_settings()
    topic = settings.topic_namespace + IDENTIFICATION.name
    prefix = f"replay-{uuid.uuid4().hex[:8]}"
    bearer = {"Authorization": f"Bearer {moi_token()}"}
    cases = [
        {"case_id": f"{prefix}-{i:04d}", "province": "KH-2", "sex": "female", "age_band": "18-24"} for i in range(30)
    ]

    async def effects() -> int:
        return int(await scalar(settings, "SELECT count(*) FROM sample_effect WHERE case_id LIKE :p", p=f"{prefix}%"))

    async with running(build(settings)) as client:
        for case in cases:
            assert (await client.post("/cases", json=case, headers=bearer)).status_code == 201

        async def all_applied() -> bool:
            return await effects() == len(cases)

        await eventually(all_applied, what="every case applied once")

    await rewind(settings.kafka_bootstrap, settings.consumer_group, [topic])
    async with running(build(settings)):

        async def replayed() -> bool:
            return await group_caught_up(settings.kafka_bootstrap, settings.consumer_group, [topic])

        await eventually(replayed, what="the replay reaching the end of the topic")

    assert await effects() == len(cases)
    distinct = await scalar(
        settings, "SELECT count(DISTINCT event_id) FROM sample_effect WHERE case_id LIKE :p", p=f"{prefix}%"
    )
    assert distinct == len(cases)


async def test_poison_and_failing_events_are_dead_lettered_with_their_reason_and_the_partition_moves_on(
    make_settings: SettingsFactory,
) -> None:
    settings = await make_settings()
    topic = settings.topic_namespace + IDENTIFICATION.name
    case_id = f"poison-{uuid.uuid4().hex[:12]}"
    failing_id = f"fail-{uuid.uuid4().hex[:12]}"
    good = to_kafka_record(case_identified(case_id), source=source_of("test", "MOSVY"))
    failing = to_kafka_record(case_identified(failing_id), source=source_of("test", "MOSVY"))
    poison_headers = [(name, value) for name, value in good.headers if name != "ce_id"] + [("ce_id", b"poison-1")]

    async with running(build(settings)):
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            # Same key, so the same partition: the good record sits behind the poison one.
            await producer.send_and_wait(
                topic, b'{"case_id": "' + case_id.encode() + b'"}', key=good.key, headers=poison_headers
            )
            await producer.send_and_wait(topic, failing.value, key=failing.key, headers=failing.headers)
            await producer.send_and_wait(topic, good.value, key=good.key, headers=good.headers)
        finally:
            await producer.stop()

        async def good_one_applied() -> bool:
            count = await scalar(settings, "SELECT count(*) FROM sample_effect WHERE case_id = :c", c=case_id)
            return bool(count == 1)

        await eventually(good_one_applied, what="the record behind the poison one")

    dead = [r for r in await read_topic(settings.kafka_bootstrap, f"{topic}.dlq") if r.key in (good.key, failing.key)]
    reasons = {
        r.key: {name: value.decode() for name, value in r.headers}
        for r in dead
        if dict(r.headers)["dlq_consumer"] == settings.consumer_group.encode()
    }
    poison = reasons[good.key]
    assert "required" in poison["dlq_reason"]
    assert poison["dlq_topic"] == topic
    assert poison["dlq_attempts"] == "1"
    assert poison["ce_id"] == "poison-1"
    failed = reasons[failing.key]
    assert failed["dlq_reason"] == "RuntimeError: this sample handler refuses fail- cases"
    assert failed["dlq_attempts"] == str(settings.consumer_max_attempts)
    assert {"dlq_partition", "dlq_offset"} <= failed.keys()
