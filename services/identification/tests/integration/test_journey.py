"""Screening -> determination -> case.identified, through the HTTP API with real tokens, database and Kafka."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from spean_contracts import from_kafka_record
from spean_contracts.registry import IDENTIFICATION
from spean_identification.app import build
from spean_identification.settings import IdentificationSettings
from tests.support.app import eventually, running, scalar, tamper
from tests.support.kafka import names_of, published, published_text

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]


async def test_screening_then_determination_publishes_case_identified_without_personal_data(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory, personal_data: tuple[str, ...]
) -> None:
    settings = await identification_settings()
    async with running(build(settings)) as client:
        recorded = await client.post("/screenings", json=screening(), headers=auth("poipet-tc-system"))
        assert recorded.status_code == 201, recorded.text
        case_id = recorded.json()["case_id"]
        assert recorded.json()["suggested_outcome"] == "trafficking-victim"

        determined = await client.post(
            f"/cases/{case_id}/determination",
            json={
                "outcome": "trafficking-victim",
                "reasons": ["debt bondage at sea"],
                "exploitation_types": ["forced-labour"],
            },
            headers=auth("mosvy-case-system"),
        )
        assert determined.status_code == 201, determined.text
        assert determined.json()["status"] == "final"

        records = [r for r in await published(settings, IDENTIFICATION) if r.key == case_id.encode()]

    events = [from_kafka_record(r.value, r.headers) for r in records]
    assert [e.type for e in events] == [
        "kh.spean.identification.screening-recorded.v1",
        "kh.spean.identification.determination-made.v1",
        "kh.spean.case.identified.v1",
    ]
    identified = events[-1].data.model_dump(mode="json")
    assert identified["age_band"] == "25-34"
    assert identified["province"] == "KH-1"
    assert identified["screening_agency"] == "MOSVY-POIPET-TC"
    assert events[-1].source == "/spean/identification/MOSVY"
    everything = published_text(records)
    for secret in personal_data:
        assert secret not in everything


async def test_personal_data_is_encrypted_at_rest(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory, personal_data: tuple[str, ...]
) -> None:
    settings = await identification_settings()
    async with running(build(settings)) as client:
        recorded = await client.post("/screenings", json=screening(), headers=auth("moi-case-system"))
    assert recorded.status_code == 201
    stored = await scalar(settings, "SELECT encode(personal_data, 'escape') FROM screening")
    for secret in personal_data:
        assert secret not in stored


async def test_co_signature_when_configured(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings(require_co_signature=True)
    async with running(build(settings)) as client:
        case_id = (await client.post("/screenings", json=screening(), headers=auth("moi-case-system"))).json()[
            "case_id"
        ]
        body = {"outcome": "vulnerable-person", "reasons": ["migrant worker, no means of coercion found"]}
        pending = await client.post(f"/cases/{case_id}/determination", json=body, headers=auth("mosvy-case-system"))
        refused = await client.post(f"/cases/{case_id}/determination/co-signature", headers=auth("ngo-shelter-system"))
        signed = await client.post(f"/cases/{case_id}/determination/co-signature", headers=auth("moi-case-system"))
        again = await client.post(f"/cases/{case_id}/determination/co-signature", headers=auth("moi-case-system"))
        events = names_of(await published(settings, IDENTIFICATION))

    assert pending.json()["status"] == "awaiting-co-signature"
    assert refused.status_code == 403
    assert signed.json() == {**pending.json(), "status": "final", "co_signed_by": "MOI-AHTJP"}
    assert again.status_code == 409
    assert again.json()["current"] == "final"
    assert events == [
        "identification.screening-recorded",
        "identification.determination-made",
        "identification.vulnerable-person-identified",
    ]


async def test_a_missed_determination_deadline_is_published(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings(determination_deadline_hours=0.0003, deadline_scan_seconds=0.2)
    async with running(build(settings)) as client:
        assert (await client.post("/screenings", json=screening(), headers=auth("moi-case-system"))).status_code == 201

        async def breached() -> bool:
            return "identification.deadline-breached" in names_of(await published(settings, IDENTIFICATION))

        await eventually(breached, within=20, what="a deadline-breached event")
        assert await scalar(settings, "SELECT count(*) FROM screening WHERE deadline_breached") == 1


async def test_a_co_signature_left_waiting_past_its_deadline_is_the_police_s_breach_not_mosvy_s(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings(
        require_co_signature=True, co_signature_deadline_hours=0.0003, deadline_scan_seconds=0.2
    )

    async def breaches() -> list[tuple[str, str]]:
        events = [from_kafka_record(r.value, r.headers) for r in await published(settings, IDENTIFICATION)]
        data = [e.data.model_dump() for e in events if e.type.endswith("deadline-breached.v1")]
        return [(d["stage"], str(d["agency"])) for d in data]

    async with running(build(settings)) as client:
        case_id = (await client.post("/screenings", json=screening(), headers=auth("moi-case-system"))).json()[
            "case_id"
        ]
        body = {"outcome": "vulnerable-person", "reasons": ["migrant worker, no means of coercion found"]}
        determined = await client.post(f"/cases/{case_id}/determination", json=body, headers=auth("mosvy-case-system"))
        # MoSVY decided in time; the determination's own deadline passes while the police have not signed.
        await tamper(settings, "UPDATE screening SET determination_due = now() - interval '1 hour'")

        async def told() -> bool:
            return bool(await breaches())

        await eventually(told, within=20, what="the late co-signature told")
        await asyncio.sleep(1)  # five more scans, which must tell nothing more
        late = await breaches()
        signed = await client.post(f"/cases/{case_id}/determination/co-signature", headers=auth("moi-case-system"))

    assert determined.json()["status"] == "awaiting-co-signature"
    assert late == [("co-signature", "MOI-AHTJP")]
    assert signed.json()["status"] == "final"
