"""Databases deployed with an earlier outbox are upgraded without losing an unsent event."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import orjson
from alembic import command
from alembic.config import Config

from spean_contracts import encode_event, source_of, spec_for_model
from spean_contracts.events import CaseIdentified
from spean_identification.app import MIGRATIONS, build
from spean_identification.settings import IdentificationSettings
from spean_kit.database import async_url, migrate
from tests.support.app import running, scalar
from tests.support.kafka import published

SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]


async def _downgrade(settings: IdentificationSettings, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", async_url(settings.database_url))
    config.attributes["schema"] = settings.schema_name
    await asyncio.to_thread(command.downgrade, config, revision)


async def _written_at(settings: IdentificationSettings, revision: str, statement: str, *arguments: object) -> None:
    """Runs `statement` in a database as an older release left it: migrated, then taken back to `revision`."""
    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)
    await _downgrade(settings, revision)
    connection = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.schema_name})
    try:
        await connection.execute(statement, *arguments)
    finally:
        await connection.close()


async def test_upgrading_drops_published_outbox_rows_and_keeps_unsent_ones(
    identification_settings: SettingsFactory,
) -> None:
    settings = await identification_settings()
    await _written_at(
        settings,
        "0001",
        "INSERT INTO outbox (event_id, topic, key, value, headers, sent_at) VALUES "
        "('published-before', 't', 'k', 'v', '[]', now()), ('waiting', 't', 'k', 'v', '[]', NULL)",
    )

    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)

    assert await scalar(settings, "SELECT string_agg(event_id, ',') FROM outbox") == "waiting"
    columns = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'outbox' AND column_name = 'sent_at'"
    assert await scalar(settings, columns) == 0


async def test_an_event_staged_before_the_headers_became_text_is_published_with_its_headers(
    identification_settings: SettingsFactory,
) -> None:
    settings = await identification_settings()
    spec = spec_for_model(CaseIdentified)
    event = encode_event(CaseIdentified.model_validate(spec.examples[0]), source=source_of("identification", "MOSVY"))
    await _written_at(
        settings,
        "0002",
        "INSERT INTO outbox (event_id, topic, key, value, headers) VALUES ($1, $2, $3, $4, $5::jsonb)",
        dict(event.headers)["ce_id"],
        settings.topic_namespace + event.topic,
        event.key.encode(),
        event.value,
        orjson.dumps(event.headers).decode(),
    )

    async with running(build(settings)):
        (record,) = await published(settings, spec.topic)

    assert record.value == event.value
    assert [(name, value.decode()) for name, value in record.headers][: len(event.headers)] == list(event.headers)
