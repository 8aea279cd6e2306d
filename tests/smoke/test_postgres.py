"""PostgreSQL is a real server: an Alembic migration makes a table that SQLModel writes and reads."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_local.pytest_plugin import DatabaseFactory


class SmokeNote(SQLModel, table=True):
    __tablename__ = "smoke_note"
    id: int | None = Field(default=None, primary_key=True)
    text: str


async def test_migrated_table_is_written_and_read_through_sqlmodel(new_database: DatabaseFactory) -> None:
    url = (await new_database()).replace("postgresql://", "postgresql+asyncpg://", 1)
    config = Config(str(Path(__file__).with_name("alembic.ini")))
    config.set_main_option("sqlalchemy.url", url)
    # Alembic's async environment runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(command.upgrade, config, "head")

    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            session.add(SmokeNote(text="written by SQLModel on asyncpg"))
            await session.commit()
        async with AsyncSession(engine) as session:
            notes = (await session.exec(select(SmokeNote))).all()
    finally:
        await engine.dispose()

    assert [note.text for note in notes] == ["written by SQLModel on asyncpg"]
