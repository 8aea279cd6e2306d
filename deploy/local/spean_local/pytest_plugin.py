"""pytest plugin: the real servers, started once per test session, and a fresh database per use.

Where the environment names running servers (SPEAN_DATABASE_URL, SPEAN_KAFKA_BOOTSTRAP,
SPEAN_KEYCLOAK_URL with SPEAN_KEYCLOAK_ADMIN_PASSWORD, SPEAN_OTLP_ENDPOINT, SPEAN_ZIPKIN_URL and
SPEAN_METRICS_URL, and
SPEAN_KEYCLOAK_CLIENT_SECRETS and SPEAN_KEYCLOAK_USER_PASSWORDS as JSON), the
suite uses those, however they were started (a CI service, testcontainers, a colleague's cluster).
Otherwise it starts the local servers of `make up`, reusing any already running, and stops at the end
only those it started. Tests never know which.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Protocol

import pytest

from spean_local.endpoints import Endpoints
from spean_local.login import broker_sign_in
from spean_local.paths import Layout, Ports
from spean_local.scratch import RUN_TOPICS, ScratchDatabases
from spean_local.servers import Server, all_servers
from spean_local.starting import start_all

EXTERNAL = (
    "SPEAN_DATABASE_URL",
    "SPEAN_KAFKA_BOOTSTRAP",
    "SPEAN_KEYCLOAK_URL",
    "SPEAN_OTLP_ENDPOINT",
    "SPEAN_ZIPKIN_URL",
)


def _external() -> Endpoints:
    return Endpoints(
        postgres_dsn=os.environ["SPEAN_DATABASE_URL"],
        kafka_bootstrap=os.environ["SPEAN_KAFKA_BOOTSTRAP"],
        keycloak_url=os.environ["SPEAN_KEYCLOAK_URL"],
        keycloak_admin_user=os.environ.get("SPEAN_KEYCLOAK_ADMIN_USER", "spean-admin"),
        keycloak_admin_password=os.environ["SPEAN_KEYCLOAK_ADMIN_PASSWORD"],
        keycloak_client_secrets=json.loads(os.environ.get("SPEAN_KEYCLOAK_CLIENT_SECRETS", "{}")),
        keycloak_user_passwords=json.loads(os.environ.get("SPEAN_KEYCLOAK_USER_PASSWORDS", "{}")),
        otlp_endpoint=os.environ["SPEAN_OTLP_ENDPOINT"],
        zipkin_url=os.environ["SPEAN_ZIPKIN_URL"],
        metrics_url=os.environ["SPEAN_METRICS_URL"],
    )


@pytest.fixture(scope="session")
def servers() -> Iterator[Endpoints]:
    if all(name in os.environ for name in EXTERNAL):
        yield from _leaving_no_topics(_external())
        return
    layout, ports = Layout.from_env(), Ports()
    local = all_servers(layout, ports)
    started: list[Server] = start_all(local)
    try:
        yield from _leaving_no_topics(Endpoints.local(layout, ports))
    finally:
        for server in reversed(started):
            server.stop()


def _leaving_no_topics(endpoints: Endpoints) -> Iterator[Endpoints]:
    """The servers, and at the end of the session the topics its tests made deleted (see `scratch`)."""
    yield endpoints
    asyncio.run(RUN_TOPICS.delete(endpoints.kafka_bootstrap))


class TokenFactory(Protocol):
    def __call__(self, client_id: str, realm: str | None = None) -> str: ...


@pytest.fixture(scope="session")
def machine_token(servers: Endpoints) -> TokenFactory:
    """A fresh access token of a machine client, e.g. `moi-case-system` (Viet Nam's `vn-*` from its realm)."""

    def token(client_id: str, realm: str | None = None) -> str:
        access: str = servers.client_token(client_id, realm)["access_token"]
        return access

    return token


class UserTokenFactory(Protocol):
    def __call__(self, agency: str, username: str) -> str: ...


@pytest.fixture(scope="session")
def user_token(servers: Endpoints) -> UserTokenFactory:
    """A national-realm access token of a demo user who signs in at an agency's identity provider
    (`agency` is the provider's alias, e.g. `moi`), through the same login pages a person sees."""

    def token(agency: str, username: str) -> str:
        password = servers.keycloak_user_passwords[f"agency-{agency}/{username}"]
        return broker_sign_in(servers.keycloak_url, agency, username, password).access_token

    return token


DatabaseFactory = Callable[[], Awaitable[str]]


@pytest.fixture(scope="session")
async def new_database(servers: Endpoints) -> AsyncIterator[DatabaseFactory]:
    """Creates an empty database per call and drops them all at the end of the session."""
    databases = ScratchDatabases(servers.postgres_dsn, "test")
    yield databases.new
    await databases.drop_all()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped test is not a passed one: a run with skips fails."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if skipped and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter is not None:
            reporter.write_line(f"FAILED: {skipped} test(s) skipped; every test must run.", red=True)
