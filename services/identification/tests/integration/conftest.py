"""The identification service in-process, on the real servers, with its own database and topics."""

from __future__ import annotations

import base64
import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from spean_identification.settings import IdentificationSettings
from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory
from tests.support.app import service_settings

SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]


@pytest.fixture
def identification_settings(servers: Endpoints, new_database: DatabaseFactory) -> SettingsFactory:
    async def make(**overrides: Any) -> IdentificationSettings:
        keys = {
            "master_key": base64.b64encode(os.urandom(32)).decode(),
            "match_key_secret": base64.b64encode(os.urandom(32)).decode(),
        }
        return service_settings(IdentificationSettings, servers, await new_database(), **(keys | overrides))

    return make


ScreeningFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def screening() -> ScreeningFactory:
    return _screening


def _screening(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "encountered_at": "2026-11-02T07:30:00+07:00",
        "encounter": "deportee-transit",
        "province": "KH-1",
        "location": "Phum Kbal Spean, Poipet",
        "person": {
            "names": ["Sok Dara"],
            "birth_date": "1998-04-01",
            "sex": "male",
            "nationality": "KHM",
            "languages": ["km", "th"],
            "contacts": ["+855 12 345 678"],
            "documents": ["passport N0123456"],
        },
        "indicators": {"acts": ["recruitment", "transport"], "means": ["debt-bondage"], "purposes": ["forced-labour"]},
        "continuum": "C",
        "notes": "Worked 18 hours a day on a fishing boat; wages withheld.",
    }
    body.update(overrides)
    return body


@pytest.fixture
def personal_data() -> tuple[str, ...]:
    """What must never leave the service: strings of the screening above."""
    return ("Sok Dara", "1998-04-01", "345 678", "N0123456", "Kbal Spean", "fishing boat")


@pytest.fixture
def auth(machine_token: Callable[[str], str]) -> Callable[[str], dict[str, str]]:
    return lambda client_id: {"Authorization": f"Bearer {machine_token(client_id)}"}
