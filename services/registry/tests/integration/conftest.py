"""The registry in-process on the real servers, fed with events as the other services publish them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from spean_contracts.events import CaseIdentified, ScreeningRecorded
from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory
from spean_registry.settings import RegistrySettings
from tests.support.app import service_settings


@pytest.fixture
def registry_settings(servers: Endpoints, new_database: DatabaseFactory) -> Callable[..., Awaitable[RegistrySettings]]:
    async def make(**overrides: Any) -> RegistrySettings:
        return service_settings(RegistrySettings, servers, await new_database(), **overrides)

    return make


@pytest.fixture
def auth(machine_token: Callable[[str], str]) -> Callable[[str], dict[str, str]]:
    return lambda client_id: {"Authorization": f"Bearer {machine_token(client_id)}"}


def screened(
    case_id: str, keys: list[str], agency: str, province: str = "KH-1", at: datetime | None = None
) -> ScreeningRecorded:
    return ScreeningRecorded.model_validate(
        {
            "case_id": case_id,
            "screening_id": f"scr-{uuid.uuid4().hex}",
            "agency": agency,
            "encounter": "police-operation",
            "province": province,
            "sex": "female",
            "age_band": "18-24",
            "nationality": "KHM",
            "is_child": False,
            "continuum": "B",
            "indicators_present": 5,
            "suggested_outcome": "trafficking-victim",
            "match_keys": keys,
            "screened_at": (at or datetime.now(UTC)).isoformat(),
        }
    )


def identified(case_id: str, agency: str = "MOSVY", province: str = "KH-1", sex: str = "female") -> CaseIdentified:
    return CaseIdentified.model_validate(
        {
            "case_id": case_id,
            "province": province,
            "sex": sex,
            "age_band": "18-24",
            "nationality": "KHM",
            "is_child": False,
            "exploitation_types": ["sexual"],
            "screening_agency": agency,
            "identified_at": datetime.now(UTC).isoformat(),
        }
    )


@pytest.fixture
def events() -> tuple[Callable[..., ScreeningRecorded], Callable[..., CaseIdentified]]:
    return screened, identified
