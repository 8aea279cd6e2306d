"""The national services running together in-process on the real servers, sharing one topic namespace."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from spean_identification.app import build as identification
from spean_identification.settings import IdentificationSettings
from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory
from spean_local.scratch import scratch_namespace
from spean_referral.app import build as referral
from spean_referral.settings import ReferralSettings
from spean_registry.app import build as registry
from spean_registry.settings import RegistrySettings
from tests.support.app import eventually, running
from tests.support.telemetry import TelemetrySink


def screening(name: str, *, encounter: str = "deportee-transit", province: str = "KH-1") -> dict[str, Any]:
    """A fictional adult woman's screening showing the act, means and purpose of trafficking."""
    return {
        "encountered_at": "2026-11-02T07:30:00+07:00",
        "encounter": encounter,
        "province": province,
        "person": {"names": [name], "estimated_age": 24, "sex": "female", "nationality": "KHM"},
        "indicators": {"acts": ["recruitment"], "means": ["deception"], "purposes": ["sexual"]},
        "continuum": "B",
    }


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

    async def identify_and_shelter(
        self, screening: dict[str, Any], *, screener: str, auth: Callable[[str], dict[str, str]]
    ) -> str:
        """The first half of every journey: screened by `screener`, determined by MoSVY, referred to the
        shelter, which accepts. Returns the case id."""
        shelter = {
            "provider_id": "prov-ngo-shelter-01",
            "name": "Shelter",
            "provider_type": "ngo",
            "services": ["shelter", "psychosocial", "medical", "legal", "reintegration-follow-up"],
            "sexes": ["female"],
            "nationalities": ["VNM", "KHM"],
            "age_min": 10,
            "age_max": 60,
            "capacity": 3,
        }
        mosvy = auth("mosvy-case-system")
        assert (
            await self.referral.put(f"/providers/{shelter['provider_id']}", json=shelter, headers=mosvy)
        ).status_code == 200
        screened = await self.identification.post("/screenings", json=screening, headers=auth(screener))
        assert screened.status_code == 201, screened.text
        case_id: str = screened.json()["case_id"]
        determination = {
            "outcome": "trafficking-victim",
            "reasons": ["act, means, purpose"],
            "exploitation_types": ["sexual"],
        }
        determined = await self.identification.post(
            f"/cases/{case_id}/determination", json=determination, headers=mosvy
        )
        assert determined.status_code == 201, determined.text

        async def referral_case_opened() -> bool:
            return (await self.referral.get(f"/cases/{case_id}", headers=mosvy)).status_code == 200

        await eventually(referral_case_opened, what="the referral case opened by case.identified")
        offer = await self.referral.post(
            f"/cases/{case_id}/offers",
            json={"provider_id": shelter["provider_id"], "services": ["shelter"]},
            headers=mosvy,
        )
        assert offer.status_code in (200, 201), offer.text
        accepted = await self.referral.post(
            f"/referrals/{offer.json()['referral_id']}/accept", headers=auth("ngo-shelter-system")
        )
        assert accepted.status_code == 200, accepted.text
        return case_id


async def national_platform(
    servers: Endpoints, new_database: DatabaseFactory, sink: TelemetrySink
) -> AsyncIterator[Platform]:
    """The three national services, exporting their traces to the collector (as in `make up`) and to
    `sink` for the tests' own scans."""
    exporters = (sink.spans,)
    common: dict[str, Any] = {
        "otlp_endpoint": servers.otlp_endpoint,
        "kafka_bootstrap": servers.kafka_bootstrap,
        "keycloak_url": servers.keycloak_url,
        "topic_namespace": scratch_namespace("e2e"),
        "outbox_poll_seconds": 0.05,
        # The console's panels read the collector's metrics: sent every second, not every minute.
        "metric_export_seconds": 1,
    }
    apps = {
        "identification": identification(
            IdentificationSettings(
                database_url=await new_database(),
                master_key=base64.b64encode(os.urandom(32)).decode(),
                match_key_secret=base64.b64encode(os.urandom(32)).decode(),
                **common,
            ),
            span_exporters=exporters,
        ),
        "referral": referral(ReferralSettings(database_url=await new_database(), **common), span_exporters=exporters),
        "registry": registry(RegistrySettings(database_url=await new_database(), **common), span_exporters=exporters),
    }
    async with running(apps["identification"]) as a, running(apps["referral"]) as b, running(apps["registry"]) as c:
        yield Platform(a, b, c, str(common["topic_namespace"]), apps)
