"""Cambodia's and Viet Nam's repatriation instances, side by side on the real servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory, TokenFactory
from tests.support.repatriation import InstanceFactory, two_countries


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
async def countries(
    servers: Endpoints, new_database: DatabaseFactory, machine_token: TokenFactory, pki: Path
) -> AsyncIterator[InstanceFactory]:
    async for start in two_countries(servers, new_database, machine_token, pki):
        yield start
