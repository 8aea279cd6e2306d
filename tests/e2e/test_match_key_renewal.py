"""Identification's match-key secret replaced: a woman screened again after the replacement is still linked
by the registry to her screening before it, and a person whose data was lawfully erased before it is no
longer recognised by a later screening."""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from spean_identification.app import build as identification
from spean_identification.match_key_renewal import PURPOSE
from spean_identification.settings import IdentificationSettings
from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory
from spean_local.scratch import scratch_namespace
from spean_registry.app import build as registry
from spean_registry.settings import RegistrySettings
from tests.support.app import eventually, rows, running
from tests.support.platform import screening

RENEWED = "every screening's match keys are made under the current secret"
READ = {"purpose": "check the national record"}


def new_secret() -> str:
    return base64.b64encode(os.urandom(32)).decode()


async def test_a_replaced_match_key_secret_still_links_later_screenings_to_earlier_ones(
    servers: Endpoints,
    new_database: DatabaseFactory,
    machine_token: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def auth(client_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {machine_token(client_id)}"}

    police, mosvy = auth("moi-case-system"), auth("mosvy-case-system")
    common: dict[str, Any] = {
        "kafka_bootstrap": servers.kafka_bootstrap,
        "keycloak_url": servers.keycloak_url,
        "topic_namespace": scratch_namespace("e2e"),
        "outbox_poll_seconds": 0.05,
    }
    old, new = new_secret(), new_secret()
    before = IdentificationSettings(
        database_url=await new_database(), master_key=new_secret(), match_key_secret=old, **common
    )

    async def screen(client: httpx.AsyncClient, name: str) -> dict[str, str]:
        answer = await client.post("/screenings", json=screening(name), headers=police)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async with running(identification(before)) as client:
        earlier = await screen(client, "Chan Sophea")
        forgotten = await screen(client, "Keo Bopha")
        erased = await client.delete(
            f"/cases/{forgotten['case_id']}/personal-data",
            params={"legal_basis": "Her request under the 2009 minimum standards"},
            headers=mosvy,
        )
        assert erased.status_code == 204

    replacing = before.model_copy(update={"match_key_secret": new, "previous_match_key_secrets": [old]})
    registry_settings = RegistrySettings(database_url=await new_database(), **common)
    with caplog.at_level(logging.INFO, logger="spean_identification.match_key_renewal"):
        async with running(registry(registry_settings)) as national, running(identification(replacing)) as client:

            async def renewed() -> bool:
                return any(r.message.startswith(RENEWED) for r in caplog.records)

            await eventually(renewed, what="the earlier screenings' keys made again under the new secret")
            later = await screen(client, "Chan Sophea")
            unrecognised = await screen(client, "Keo Bopha")

            async def record(case_id: str) -> str | None:
                timeline = await national.get(f"/cases/{case_id}/timeline", params=READ, headers=mosvy)
                return str(timeline.json()["national_record_id"]) if timeline.status_code == 200 else None

            async def linked() -> bool:
                first = await record(earlier["case_id"])
                return first is not None and await record(later["case_id"]) == first

            await eventually(linked, what="the later screening linked to the earlier one")

            async def projected() -> bool:
                return await record(unrecognised["case_id"]) is not None

            await eventually(projected, what="the erased person's later screening in the registry")
            erased_record = await record(forgotten["case_id"])
            assert erased_record is not None
            assert await record(unrecognised["case_id"]) != erased_record

    (report,) = [r for r in caplog.records if r.message.startswith(RENEWED)]
    assert (report.renewed, report.erased, report.unopenable) == (1, 1, 0)  # type: ignore[attr-defined]
    audited = await rows(before, "SELECT screening_id, subject FROM access_audit WHERE purpose = :p", p=PURPOSE)
    assert audited == [(earlier["screening_id"], "identification")]
