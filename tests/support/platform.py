"""The national services running together in-process on the real servers, sharing one topic namespace."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from spean_identification.app import build as identification
from spean_identification.settings import IdentificationSettings
from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory
from spean_referral.app import build as referral
from spean_referral.settings import ReferralSettings
from spean_registry.app import build as registry
from spean_registry.settings import RegistrySettings
from tests.support.app import running


@dataclass
class Platform:
    identification: httpx.AsyncClient
    referral: httpx.AsyncClient
    registry: httpx.AsyncClient
    namespace: str
    apps: dict[str, FastAPI]

    def client(self, service: str) -> httpx.AsyncClient:
        client: httpx.AsyncClient = getattr(self, service)
        return client


async def national_platform(servers: Endpoints, new_database: DatabaseFactory) -> AsyncIterator[Platform]:
    common: dict[str, Any] = {
        "kafka_bootstrap": servers.kafka_bootstrap,
        "keycloak_url": servers.keycloak_url,
        "topic_namespace": f"e2e-{uuid.uuid4().hex[:8]}.",
        "outbox_poll_seconds": 0.05,
    }
    apps = {
        "identification": identification(
            IdentificationSettings(
                database_url=await new_database(),
                master_key=base64.b64encode(os.urandom(32)).decode(),
                match_key_secret=base64.b64encode(os.urandom(32)).decode(),
                **common,
            )
        ),
        "referral": referral(ReferralSettings(database_url=await new_database(), **common)),
        "registry": registry(RegistrySettings(database_url=await new_database(), **common)),
    }
    async with running(apps["identification"]) as a, running(apps["referral"]) as b, running(apps["registry"]) as c:
        yield Platform(a, b, c, str(common["topic_namespace"]), apps)
