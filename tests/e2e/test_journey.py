"""A case's journey across the services, with real servers and tokens: screened at Poipet, determined
by MoSVY, referred to a shelter that accepts, a verdict recorded by the court; the registry shows one
ordered timeline with each source, and nothing published carries personal data."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from spean_contracts.registry import TOPICS
from spean_identification.app import build as identification
from spean_identification.settings import IdentificationSettings
from spean_local.endpoints import Endpoints
from spean_local.pytest_plugin import DatabaseFactory
from spean_referral.app import build as referral
from spean_referral.settings import ReferralSettings
from spean_registry.app import build as registry
from spean_registry.settings import RegistrySettings
from tests.support.app import eventually, running
from tests.support.kafka import read_all

PERSON = {
    "names": ["Journey Example"],
    "birth_date": "2008-02-14",
    "sex": "female",
    "nationality": "KHM",
    "contacts": ["+855 97 000 1111"],
}
PERSONAL = ("Journey Example", "2008-02-14", "000 1111")


@dataclass
class Platform:
    identification: httpx.AsyncClient
    referral: httpx.AsyncClient
    registry: httpx.AsyncClient
    namespace: str


@pytest.fixture
async def platform(servers: Endpoints, new_database: DatabaseFactory) -> AsyncIterator[Platform]:
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
        yield Platform(a, b, c, str(common["topic_namespace"]))


async def test_a_case_travels_from_screening_to_verdict_and_the_registry_tells_it_in_order(
    platform: Platform, machine_token: Callable[[str], str], servers: Endpoints
) -> None:
    def auth(client_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {machine_token(client_id)}"}

    ident, refer, reg = platform.identification, platform.referral, platform.registry
    shelter = {
        "provider_id": "prov-ngo-shelter-01",
        "name": "Shelter",
        "provider_type": "ngo",
        "services": ["shelter", "psychosocial", "medical", "legal", "reintegration-follow-up"],
        "sexes": ["female"],
        "age_min": 10,
        "age_max": 25,
        "capacity": 3,
    }
    assert (
        await refer.put("/providers/prov-ngo-shelter-01", json=shelter, headers=auth("mosvy-case-system"))
    ).status_code == 200
    screening = {
        "encountered_at": "2026-11-02T07:30:00+07:00",
        "encounter": "deportee-transit",
        "province": "KH-1",
        "person": PERSON,
        "indicators": {"acts": ["recruitment", "transport"], "purposes": ["sexual"]},
        "continuum": "B",
    }
    screened = await ident.post("/screenings", json=screening, headers=auth("poipet-tc-system"))
    case_id = screened.json()["case_id"]
    determination = {
        "outcome": "trafficking-victim",
        "reasons": ["child: act and purpose"],
        "exploitation_types": ["sexual"],
    }
    assert (
        await ident.post(f"/cases/{case_id}/determination", json=determination, headers=auth("mosvy-case-system"))
    ).status_code == 201

    async def referral_case_opened() -> bool:
        return (await refer.get(f"/cases/{case_id}", headers=auth("mosvy-case-system"))).status_code == 200

    await eventually(referral_case_opened, what="the referral case opened by case.identified")
    offer = await refer.post(
        f"/cases/{case_id}/offers",
        json={"provider_id": "prov-ngo-shelter-01", "services": ["shelter"]},
        headers=auth("mosvy-case-system"),
    )
    assert (
        await refer.post(f"/referrals/{offer.json()['referral_id']}/accept", headers=auth("ngo-shelter-system"))
    ).status_code == 200
    verdict = {
        "case_id": case_id,
        "court_case_id": f"court-{uuid.uuid4().hex[:12]}",
        "court_province": "KH-1",
        "charges": [{"law_article": "2008 LSHTSE art. 15", "category": "trafficking"}],
        "verdict": "convicted",
        "sentence_months": 180,
        "decided_on": "2026-11-20",
    }
    assert (await reg.post("/court-outcomes", json=verdict, headers=auth("moj-court-system"))).status_code == 201

    expected = [
        "identification.screening-recorded",
        "identification.determination-made",
        "case.identified",
        "referral.case-opened",
        "referral.offered",
        "referral.accepted",
        "case.referred",
        "prosecution.court-outcome-recorded",
        "case.prosecuted",
    ]

    async def complete() -> bool:
        answer = await reg.get(
            f"/cases/{case_id}/timeline", params={"purpose": "end-to-end check"}, headers=auth("mosvy-case-system")
        )
        return answer.status_code == 200 and len(answer.json()["entries"]) >= len(expected)

    await eventually(complete, what="the whole journey in the registry")
    timeline = (
        await reg.get(
            f"/cases/{case_id}/timeline", params={"purpose": "end-to-end check"}, headers=auth("mosvy-case-system")
        )
    ).json()

    assert [e["type"].removeprefix("kh.spean.").removesuffix(".v1") for e in timeline["entries"]] == expected
    assert {e["source"].split("/")[2] for e in timeline["entries"]} == {"identification", "referral", "registry"}
    records = [r for topic in TOPICS for r in await read_all(servers.kafka_bootstrap, platform.namespace + topic.name)]
    published = b"".join(r.value + b"".join(v for _, v in r.headers) for r in records).decode()
    assert case_id in published
    for secret in PERSONAL:
        assert secret not in published
