"""Fixtures for testing the kit through a minimal service on the real servers."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from keycloak import KeycloakOpenID
from sqlalchemy.ext.asyncio import create_async_engine

from spean_kit.database import async_url
from spean_kit.settings import ServiceSettings
from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory

SettingsFactory = Callable[..., Awaitable[ServiceSettings]]


@pytest.fixture
def make_settings(servers: Endpoints, new_database: DatabaseFactory) -> SettingsFactory:
    async def make(**overrides: Any) -> ServiceSettings:
        name = f"kit-{uuid.uuid4().hex[:8]}"
        values: dict[str, Any] = {
            "service_name": name,
            # Topics of its own: a test never reads what earlier tests or runs left on the shared Kafka.
            "topic_namespace": f"{name}.",
            "database_url": await new_database(),
            "kafka_bootstrap": servers.kafka_bootstrap,
            "keycloak_url": servers.keycloak_url,
            "audience": "spean-identification",
            "outbox_poll_seconds": 0.05,
            "consumer_backoff_seconds": 0.01,
            "consumer_max_attempts": 3,
            "jwks_min_refresh_seconds": 0,
        }
        values.update(overrides)
        return ServiceSettings(**values)

    return make


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started as a server starts it (lifespan: migrations, relay, consumers), called in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://sample") as client:
            yield client


@pytest.fixture(scope="session")
def moi_token(servers: Endpoints) -> Callable[[], str]:
    """A fresh token of the MoI machine client (role screener, audience of the four services)."""
    oidc = KeycloakOpenID(
        server_url=servers.keycloak_url,
        realm_name="spean",
        client_id="moi-case-system",
        client_secret_key=servers.keycloak_client_secrets["SPEAN_SECRET_MOI_CASE_SYSTEM"],
    )

    def token() -> str:
        access: str = oidc.token(grant_type="client_credentials")["access_token"]
        return access

    return token


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} not reached within {within}s")


async def scalar(settings: ServiceSettings, query: str, **parameters: Any) -> Any:
    engine = create_async_engine(
        async_url(settings.database_url), connect_args={"server_settings": {"search_path": settings.schema_name}}
    )
    try:
        async with engine.connect() as connection:
            return await connection.scalar(sa.text(query), parameters)
    finally:
        await engine.dispose()
