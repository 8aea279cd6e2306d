"""A Vietnamese woman found in Cambodia: screened by the police, determined by MoSVY, sheltered by an
NGO, returned to Viet Nam through the SOP handshake between the two countries' instances, and her
trafficker convicted in Cambodia. The national registry tells it as one ordered timeline with each
source, and no event on any topic, no span and no log line carries her personal data. A person MoSVY
assessed a child cannot be sent across as an adult."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from spean_contracts.registry import TOPICS
from spean_kit.replay import read_topic
from spean_local.endpoints import Endpoints
from tests.support.app import eventually, scalar
from tests.support.kafka import published_text
from tests.support.platform import Platform, screening
from tests.support.repatriation import CONSENT, InstanceFactory, hand_over
from tests.support.telemetry import TelemetrySink

PERSON = {"names": ["Nguyen Thi Example"], "birth_date": "2000-03-09", "sex": "female", "nationality": "VNM"}


async def test_a_case_from_screening_through_repatriation_to_verdict_is_one_timeline(
    platform: Platform,
    countries: InstanceFactory,
    machine_token: Callable[[str], str],
    servers: Endpoints,
    telemetry_sink: TelemetrySink,
) -> None:
    kh, vn = await countries(namespaces={"KHM": platform.namespace}, span_exporters=(telemetry_sink.spans,))

    def auth(client_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {machine_token(client_id)}"}

    found = {
        "encountered_at": "2026-11-02T07:30:00+07:00",
        "encounter": "police-operation",
        "province": "KH-12",
        "person": PERSON,
        "indicators": {"acts": ["recruitment", "transport"], "means": ["deception"], "purposes": ["sexual"]},
        "continuum": "B",
    }
    case_id = await platform.identify_and_shelter(found, screener="moi-case-system", auth=auth)

    returned = await kh.api.post(
        "/repatriations",
        json={
            "case_id": case_id,
            "origin_country": "VNM",
            "person": {
                "names": PERSON["names"],
                "sex": "female",
                "birth_date": PERSON["birth_date"],
                "claimed_nationality": "VNM",
                "place_of_origin": "An Giang",
                "is_child": False,
            },
            "consent": CONSENT,
            "exploitation_types": ["sexual"],
        },
        headers=kh.officer,
    )
    assert returned.status_code == 201, returned.text
    reference = returned.json()["reference"]

    await hand_over(kh, vn, reference)

    async def left_cambodias_care() -> bool:
        case = await platform.referral.get(f"/cases/{case_id}", headers=auth("mosvy-case-system"))
        return bool(case.json()["status"] == "ClosedReferred")

    await eventually(left_cambodias_care, what="the shelter's referral closed once she went home")

    verdict = {
        "case_id": case_id,
        "court_case_id": f"court-{uuid.uuid4().hex[:12]}",
        "court_province": "KH-12",
        "charges": [{"law_article": "2008 LSHTSE art. 15", "category": "trafficking"}],
        "verdict": "convicted",
        "sentence_months": 120,
        "decided_on": date.today().isoformat(),
    }
    assert (
        await platform.registry.post("/court-outcomes", json=verdict, headers=auth("moj-court-system"))
    ).status_code == 201

    expected = [
        "identification.screening-recorded",
        "identification.determination-made",
        "case.identified",
        "referral.case-opened",
        "referral.offered",
        "referral.accepted",
        "case.referred",
        "repatriation.requested",
        "repatriation.verified",
        "repatriation.accepted",
        "repatriation.handover-scheduled",
        "repatriation.handed-over",
        "case.repatriated",
        "referral.closed",
        "case.closed",
        "prosecution.court-outcome-recorded",
        "case.prosecuted",
    ]

    async def timeline() -> list[dict[str, str]]:
        answer = await platform.registry.get(
            f"/cases/{case_id}/timeline", params={"purpose": "end-to-end check"}, headers=auth("mosvy-case-system")
        )
        entries: list[dict[str, str]] = answer.json().get("entries", []) if answer.status_code == 200 else []
        return entries

    async def complete() -> bool:
        return len(await timeline()) >= len(expected)

    await eventually(complete, within=60, what="the whole journey in the registry")
    entries = await timeline()
    assert [e["type"].removeprefix("kh.spean.").removesuffix(".v1") for e in entries] == expected
    assert {e["source"].split("/")[2] for e in entries} == {"identification", "referral", "repatriation", "registry"}
    # Every entry leads an operator to the trace of the request that caused it; the screening's events
    # all belong to the screening request's trace.
    assert all(len(e["trace_id"] or "") == 32 for e in entries)
    assert len({e["trace_id"] for e in entries if e["type"].startswith("kh.spean.identification.screening")}) == 1

    records = [
        r for topic in TOPICS for r in await read_topic(servers.kafka_bootstrap, platform.namespace + topic.name)
    ]
    published = published_text(records)
    assert reference in published
    personal = ("Nguyen Thi Example", "2000-03-09", "An Giang")
    for value in personal:
        assert value not in published
    assert telemetry_sink.leaks([*platform.apps.values(), kh.app, vn.app], personal) == []
    assert len(telemetry_sink) > 100, "the scan read the journey's spans and log lines"


async def test_a_person_mosvy_assessed_a_child_cannot_be_sent_across_as_an_adult(
    platform: Platform, countries: InstanceFactory, machine_token: Callable[[str], str]
) -> None:
    kh, vn = await countries(namespaces={"KHM": platform.namespace})
    mosvy = {"Authorization": f"Bearer {machine_token('mosvy-case-system')}"}
    police = {"Authorization": f"Bearer {machine_token('moi-case-system')}"}
    # She told the police she was 24; MoSVY's age assessment, from her documents, finds her 16.
    screened = await platform.identification.post(
        "/screenings", json=screening("Tran Thi Example", encounter="police-operation"), headers=police
    )
    assert screened.status_code == 201, screened.text
    case_id = screened.json()["case_id"]
    assessed = await platform.identification.post(
        f"/cases/{case_id}/age-assessments",
        json={"age": 16, "methods": ["documents-verified"], "reasons": ["her birth certificate"]},
        headers=mosvy,
    )
    assert assessed.status_code == 201, assessed.text

    async def assessment_read() -> bool:
        known = "SELECT assessed FROM case_age WHERE case_id = :case_id"
        return bool(await scalar(kh.settings, known, case_id=case_id))

    await eventually(assessment_read, what="repatriation reading MoSVY's assessment")
    as_screened = {
        "names": ["Tran Thi Example"],
        "sex": "female",
        "estimated_age": 24,
        "claimed_nationality": "VNM",
        "place_of_origin": "An Giang",
        "is_child": False,
    }

    def asked(person: dict[str, object], consent: dict[str, str]) -> dict[str, object]:
        return {
            "case_id": case_id,
            "origin_country": "VNM",
            "person": person,
            "consent": consent,
            "exploitation_types": ["sexual"],
        }

    as_an_adult = await kh.api.post("/repatriations", json=asked(as_screened, CONSENT), headers=kh.officer)
    as_a_child = await kh.api.post(
        "/repatriations",
        json=asked(as_screened | {"estimated_age": 16, "is_child": True}, CONSENT | {"given_by": "guardian"}),
        headers=kh.officer,
    )

    assert (as_an_adult.status_code, as_an_adult.json()["errors"][0]["rule"]) == (422, "child_by_identification")
    assert as_a_child.status_code == 201, as_a_child.text
    await vn.reached(as_a_child.json()["reference"], "requested")
