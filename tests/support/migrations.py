"""A service's database as an older release left it: migrated, taken back to a revision, written to."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config

from spean_kit.database import async_url, migrate
from spean_kit.settings import ServiceSettings


async def downgrade(settings: ServiceSettings, migrations: Path, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", async_url(settings.database_url))
    config.attributes["schema"] = settings.schema_name
    await asyncio.to_thread(command.downgrade, config, revision)


async def written_at(
    settings: ServiceSettings, migrations: Path, revision: str, statement: str, *arguments: object
) -> None:
    """Runs `statement` in a database as an older release left it: migrated, then taken back to `revision`."""
    await migrate(settings.database_url, settings.schema_name, migrations)
    await downgrade(settings, migrations, revision)
    connection = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.schema_name})
    try:
        await connection.execute(statement, *arguments)
    finally:
        await connection.close()
