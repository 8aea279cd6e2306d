"""The service's database: an async SQLAlchemy engine on asyncpg, confined to the service's own schema."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import asyncpg
import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_kit.migrations import MIGRATION_LOCK_NAMESPACE

# What the database's absence raises: no connection to be had (refused, reset, unresolvable, too slow,
# the server starting or full), or the connection lost in the middle.
UNREACHABLE: tuple[type[Exception], ...] = (
    ConnectionError,
    socket.gaierror,
    TimeoutError,
    PoolTimeout,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,
)


def unreachable(error: BaseException) -> bool:
    """Whether `error`, or what caused it, says the database cannot be reached."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, UNREACHABLE):
            return True
        cause = cause.__cause__
    return False


def async_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


def _json_text(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(database_url: str, schema: str, *, pool_size: int = 10) -> AsyncEngine:
    """Every connection sees only `schema` first: tables a service creates land in its own schema.

    JSON columns go through orjson: every event's outbox row carries two JSON documents, written
    once and read back by the relay; with the standard library they were 7% of the pipeline's CPU.
    """
    return create_async_engine(
        async_url(database_url),
        pool_size=pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": {"search_path": schema}},
        json_serializer=_json_text,
        json_deserializer=orjson.loads,
    )


def session_factory(
    engine: AsyncEngine, *, sync_session_class: type[Session] = Session
) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        engine, class_=AsyncSession, expire_on_commit=False, sync_session_class=sync_session_class
    )


async def hold_lock(session: AsyncSession, namespace: int, key: str | None = None, *, wait: bool = True) -> bool:
    """A PostgreSQL advisory lock held until the session's transaction ends: one replica at a time does
    what it guards. `key`, hashed, narrows it to one thing of the namespace (an agency's request, a
    counterpart). Without `wait`, answers at once whether it was taken."""
    lock = sa.func.pg_advisory_xact_lock if wait else sa.func.pg_try_advisory_xact_lock
    arguments = (namespace,) if key is None else (namespace, sa.func.hashtext(key))
    taken = await session.scalar(sa.select(lock(*arguments)))
    return wait or bool(taken)


async def ensure_schema(database_url: str, schema: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        # Two replicas creating it at once: one of them would fail on PostgreSQL's unique index of names.
        async with connection.transaction():
            await connection.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_NAMESPACE}, hashtext($1))", schema)
            await connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    finally:
        await connection.close()


async def migrate(database_url: str, schema: str, migrations: Path) -> None:
    """Apply the service's Alembic migrations (run at start-up, idempotent)."""
    await ensure_schema(database_url, schema)
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", async_url(database_url))
    config.attributes["schema"] = schema
    # Alembic's async environment runs an event loop of its own, so it gets a thread of its own.
    await asyncio.to_thread(command.upgrade, config, "head")
