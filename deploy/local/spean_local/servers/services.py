"""Spean's own services, run from the workspace's virtual environment like the other servers: own
database each, own port, own log and pid file, waited for until ready."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import sys
from pathlib import Path

import asyncpg
import httpx

from spean_local.paths import Layout, Ports
from spean_local.secrets import generated
from spean_local.servers.base import Server
from spean_local.servers.kafka import Kafka
from spean_local.servers.keycloak import Keycloak
from spean_local.servers.postgres import Postgres
from spean_local.servers.tracing import Collector


async def _ensure_database(admin_dsn: str, name: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


class Service(Server):
    """One Spean service; `name` is also its console script (`spean-<name>`) and its database."""

    start_timeout = 90.0

    def __init__(self, name: str, port: int, layout: Layout, ports: Ports) -> None:
        super().__init__(layout, ports)
        self.name = name
        self._port = port

    @property
    def port(self) -> int:
        return self._port

    @property
    def script(self) -> Path:
        return Path(sys.executable).parent / f"spean-{self.name}"

    @property
    def marker(self) -> str:
        return str(self.script)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> str:
        return f"spean_{self.name.replace('-', '_')}"

    def database_url(self) -> str:
        return Postgres(self.layout, self.ports).dsn(self.database)

    def prepare(self) -> None:
        asyncio.run(_ensure_database(Postgres(self.layout, self.ports).dsn(), self.database))

    def environment(self) -> dict[str, str]:
        keys = generated(self.layout.secrets, "services", ["identification_master_key", "match_key_secret"])
        return {
            **super().environment(),
            "SPEAN_DATABASE_URL": self.database_url(),
            "SPEAN_KAFKA_BOOTSTRAP": Kafka(self.layout, self.ports).bootstrap,
            "SPEAN_KEYCLOAK_URL": Keycloak(self.layout, self.ports).url,
            "SPEAN_HTTP_PORT": str(self.port),
            "SPEAN_OTLP_ENDPOINT": Collector(self.layout, self.ports).otlp_url,
            # Figures every 5 s rather than the SDK's minute, so the console's panels are live.
            "OTEL_METRIC_EXPORT_INTERVAL": "5000",
            # The services want 32-byte keys; the generated secrets are stretched to that length.
            "SPEAN_MASTER_KEY": key32(keys["identification_master_key"]),
            "SPEAN_MATCH_KEY_SECRET": key32(keys["match_key_secret"]),
        }

    def command(self) -> list[str]:
        return [str(self.script)]

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health/ready", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False


def key32(secret: str) -> str:
    return base64.b64encode(hashlib.sha256(secret.encode()).digest()).decode()
