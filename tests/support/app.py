"""Helpers for tests that run a service in-process against the real servers."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from spean_kit.database import async_url
from spean_kit.settings import ServiceSettings
from spean_local.endpoints import Endpoints
from spean_local.scratch import scratch_namespace
from tests.support.conformance import Conformance

S = TypeVar("S", bound=ServiceSettings)


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started as a server starts it (lifespan: migrations, relay, consumers), called in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        hooks: dict[str, list[Callable[..., Any]]] = {"response": [Conformance(app.openapi)]}
        async with httpx.AsyncClient(transport=transport, base_url="http://service", event_hooks=hooks) as client:
            yield client


# Below the ports outgoing connections take theirs from, and below the platform's own (26080-26464):
# a port the system hands out (bind to 0) lies in that range, where a server killed and restarted by a
# test can find its port taken meanwhile, even by its own clients reconnecting (TCP self-connect).
TEST_PORTS = range(20_000, 26_000)
# A port is free only until its server binds it: two asked for at once (Cambodia's and Viet Nam's listeners,
# Kafka's broker and controller) could otherwise be the same, and the second server would find it taken.
_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port no server listens on, outside the ephemeral range, and not handed out before in this
    test session."""
    for port in random.sample(TEST_PORTS, 100):
        if port in _HANDED_OUT:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError(f"no free loopback port in {TEST_PORTS}")


@contextlib.asynccontextmanager
async def served(app: FastAPI, port: int, *, lifespan: bool = True) -> AsyncIterator[str]:
    """The app on a real loopback `port` (lifespan included unless the app already runs), for clients that
    need a socket, such as a browser; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on" if lifespan else "off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, within=60, what="the app listening")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} not reached within {within}s")


async def pages(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any) -> list[httpx.Response]:
    """A list's pages, from the first (`path` with `params`) through each `Link: rel="next"` to the last."""
    answers = [await client.get(path, params=params, headers=headers)]
    while "next" in answers[-1].links:
        answers.append(await client.get(answers[-1].links["next"]["url"], headers=headers))
    return answers


def broken(answer: httpx.Response) -> list[tuple[str, str]]:
    """The fields a problem+json answer names, and the rule each broke."""
    return [(error["path"], error["rule"]) for error in answer.json()["errors"]]


@contextlib.asynccontextmanager
async def _connected(settings: ServiceSettings) -> AsyncIterator[AsyncConnection]:
    """A connection to the service's database, in its schema."""
    engine = create_async_engine(
        async_url(settings.database_url), connect_args={"server_settings": {"search_path": settings.schema_name}}
    )
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def scalar(settings: ServiceSettings, query: str, **parameters: Any) -> Any:
    async with _connected(settings) as connection:
        return await connection.scalar(sa.text(query), parameters)


async def rows(settings: ServiceSettings, query: str | sa.Select[Any], **parameters: Any) -> list[tuple[Any, ...]]:
    """Every row `query` finds in the service's database."""
    async with _connected(settings) as connection:
        found = await connection.execute(sa.text(query) if isinstance(query, str) else query, parameters)
        return [tuple(row) for row in found]


async def tamper(settings: ServiceSettings, statement: str, **parameters: Any) -> None:
    """`statement` run and committed behind the service's back, as someone with database access could."""
    await tamper_each(settings, statement, [parameters])


async def tamper_each(settings: ServiceSettings, statement: str, each: list[dict[str, Any]]) -> None:
    """`statement` run for each of `each` and committed at once, behind the service's back: the service
    sees the trail before or after, never half done."""
    async with _connected(settings) as connection:
        await connection.execute(sa.text(statement), each)
        await connection.commit()


def service_settings(kind: type[S], servers: Endpoints, database_url: str, **overrides: Any) -> S:
    """Settings for a service under test: its own database and its own topic namespace on the shared
    servers, and short polling so tests wait less."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap": servers.kafka_bootstrap,
        "keycloak_url": servers.keycloak_url,
        "topic_namespace": scratch_namespace(kind.__name__.lower()[:12]),
        "outbox_poll_seconds": 0.05,
        "jwks_min_refresh_seconds": 0,
    }
    return kind(**(values | overrides))
