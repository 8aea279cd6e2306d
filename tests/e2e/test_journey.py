"""A case's journey across the services, with real servers and tokens: screened at Poipet, determined
by MoSVY, referred to a shelter that accepts, a verdict recorded by the court; the registry shows one
ordered timeline with each source, and nothing published, traced or logged carries personal data."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from spean_contracts.registry import TOPICS
from spean_kit.replay import read_topic
from spean_local.endpoints import Endpoints
from tests.support.app import eventually
from tests.support.kafka import published_text
from tests.support.platform import Platform
from tests.support.telemetry import TelemetrySink

PERSON = {
    "names": ["Journey Example"],
    "birth_date": "2008-02-14",
    "sex": "female",
    "nationality": "KHM",
    "contacts": ["+855 97 000 1111"],
}
PERSONAL = ("Journey Example", "2008-02-14", "000 1111")
# A purpose is free text and may name the person: it must stay out of traces and logs all the same.
PURPOSE = "follow-up of Journey Example's case"


async def test_a_case_travels_from_screening_to_verdict_and_the_registry_tells_it_in_order(
    platform: Platform, machine_token: Callable[[str], str], servers: Endpoints, telemetry_sink: TelemetrySink
) -> None:
    def auth(client_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {machine_token(client_id)}"}

    reg = platform.registry
    screening = {
        "encountered_at": "2026-11-02T07:30:00+07:00",
        "encounter": "deportee-transit",
        "province": "KH-1",
        "person": PERSON,
        "indicators": {"acts": ["recruitment", "transport"], "purposes": ["sexual"]},
        "continuum": "B",
    }
    case_id = await platform.identify_and_shelter(screening, screener="poipet-tc-system", auth=auth)
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
            f"/cases/{case_id}/timeline", params={"purpose": PURPOSE}, headers=auth("mosvy-case-system")
        )
        return answer.status_code == 200 and len(answer.json()["entries"]) >= len(expected)

    await eventually(complete, what="the whole journey in the registry")
    timeline = (
        await reg.get(f"/cases/{case_id}/timeline", params={"purpose": PURPOSE}, headers=auth("mosvy-case-system"))
    ).json()

    assert [e["type"].removeprefix("kh.spean.").removesuffix(".v1") for e in timeline["entries"]] == expected
    assert {e["source"].split("/")[2] for e in timeline["entries"]} == {"identification", "referral", "registry"}
    records = [
        r for topic in TOPICS for r in await read_topic(servers.kafka_bootstrap, platform.namespace + topic.name)
    ]
    published = published_text(records)
    assert case_id in published
    for secret in PERSONAL:
        assert secret not in published
    assert telemetry_sink.leaks(platform.apps.values(), PERSONAL) == []
    assert len(telemetry_sink) > 50, "the scan read the journey's spans and log lines"
