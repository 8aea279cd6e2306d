"""The referral service in-process on the real servers, fed the way identification feeds it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from spean_contracts import source_of
from spean_contracts.events import CaseIdentified
from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory
from spean_referral.settings import ReferralSettings
from tests.support.app import service_settings
from tests.support.kafka import publish


@pytest.fixture
def referral_settings(servers: Endpoints, new_database: DatabaseFactory) -> Callable[..., Awaitable[ReferralSettings]]:
    async def make(**overrides: Any) -> ReferralSettings:
        return service_settings(ReferralSettings, servers, await new_database(), **overrides)

    return make


@pytest.fixture
def identify(servers: Endpoints) -> Callable[..., Awaitable[str]]:
    """Publish case.identified as the identification service would; returns the case id."""

    async def identify_one(settings: ReferralSettings, **profile: Any) -> str:
        case_id = f"case-{uuid.uuid4().hex}"
        data = {
            "case_id": case_id,
            "province": "KH-12",
            "sex": "female",
            "age_band": "12-17",
            "nationality": "KHM",
            "is_child": True,
            "exploitation_types": ["sexual"],
            "screening_agency": "NGO",
            "identified_at": datetime.now(UTC).isoformat(),
            **profile,
        }
        event = CaseIdentified.model_validate(data)
        await publish(
            servers.kafka_bootstrap, settings.topic_namespace, event, source=source_of("identification", "MOSVY")
        )
        return case_id

    return identify_one


@pytest.fixture
def auth(machine_token: Callable[[str], str]) -> Callable[[str], dict[str, str]]:
    return lambda client_id: {"Authorization": f"Bearer {machine_token(client_id)}"}


def provider(provider_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "provider_id": provider_id,
        "name": f"Demo {provider_id}",
        "provider_type": "ngo",
        "services": ["shelter", "psychosocial", "medical", "legal", "reintegration-follow-up"],
        "sexes": ["female"],
        "age_min": 10,
        "age_max": 17,
        "provinces": ["KH-12"],
        "capacity": 5,
    }
    body.update(overrides)
    return body


@pytest.fixture
def provider_body() -> Callable[..., dict[str, Any]]:
    return provider
