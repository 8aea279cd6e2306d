"""The competent authority settles an age in doubt: from its assessment on, the case's age is the assessed one,
for who gives the person's consent and for the profile every service and the statistics hold."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from spean_contracts import from_kafka_record
from spean_contracts.fields import local_today
from spean_contracts.registry import IDENTIFICATION
from spean_identification.app import build
from spean_identification.determinations import AGE_READ
from spean_identification.settings import IdentificationSettings
from tests.support.app import broken, running, scalar
from tests.support.kafka import published, published_text

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]
GROUNDS = "Sok Dara's school record from Battambang gives her year of birth"


def _presumed_child(screening: ScreeningFactory, *, days_ago: int) -> dict[str, Any]:
    """A person whose papers say 19 but whom the officer believes a child."""
    today = local_today()
    papers_say_19 = date(today.year - 19, today.month, min(today.day, 28)).isoformat()
    person = {"names": ["Sok Dara"], "sex": "female", "nationality": "KHM"}
    return screening(
        encountered_at=(datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
        person=person | {"birth_date": papers_say_19, "presumed_child": True},
    )


async def _consents_alone(client: httpx.AsyncClient, case_id: str, headers: dict[str, str]) -> int:
    own = {"purpose": "sharing-agencies", "given": True}
    return (await client.post(f"/cases/{case_id}/consents", json=own, headers=headers)).status_code


async def test_an_adult_presumed_a_child_is_an_adult_once_assessed_in_consents_and_in_every_event(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    centre, mosvy = auth("poipet-tc-system"), auth("mosvy-case-system")
    async with running(build(settings)) as client:
        recorded = (
            await client.post("/screenings", json=_presumed_child(screening, days_ago=40), headers=centre)
        ).json()
        case_id = recorded["case_id"]
        before = await _consents_alone(client, case_id, centre)
        assessed = await client.post(
            f"/cases/{case_id}/age-assessments",
            json={"age": 24, "methods": ["documents-verified", "interview"], "reasons": [GROUNDS]},
            headers=mosvy,
        )
        after = await _consents_alone(client, case_id, centre)
        listed = {s["screening_id"]: s["is_child"] for s in (await client.get("/screenings", headers=centre)).json()}
        await client.post(
            f"/cases/{case_id}/determination",
            json={
                "outcome": "trafficking-victim",
                "reasons": ["sold to a karaoke bar"],
                "exploitation_types": ["sexual"],
            },
            headers=mosvy,
        )
        trail = await client.get(
            "/audit", params={"screening_id": recorded["screening_id"]}, headers=auth("operations-console")
        )
        records = [r for r in await published(settings, IDENTIFICATION) if r.key == case_id.encode()]
        stored = await scalar(settings, f"SELECT sealed::text FROM age_assessment WHERE case_id = '{case_id}'")

    assert before == 422
    assert assessed.status_code == 201, assessed.text
    answer = assessed.json()
    assert (answer["age"], answer["age_band"], answer["is_child"]) == (24, "18-24", False)
    assert after == 201
    # The centre's list shows the person as the assessment found them.
    assert listed == {recorded["screening_id"]: False}
    # Only the consent before the assessment needed the person's age read: the assessment says adult.
    assert [e["reason"] for e in trail.json()] == [AGE_READ]
    events = {r.type: r.data.model_dump(mode="json") for r in (from_kafka_record(r.value, r.headers) for r in records)}
    assert events["kh.spean.identification.screening-recorded.v1"]["is_child"] is True
    assert events["kh.spean.identification.age-assessed.v1"] == {
        "case_id": case_id,
        "age_band": "18-24",
        "is_child": False,
        "methods": ["documents-verified", "interview"],
        "agency": "MOSVY",
        "assessed_at": events["kh.spean.identification.age-assessed.v1"]["assessed_at"],
    }
    identified = events["kh.spean.case.identified.v1"]
    assert (identified["age_band"], identified["is_child"]) == ("18-24", False)
    # The exact age and the assessor's words stay in the service, sealed.
    for secret in ("Sok Dara", "Battambang"):
        assert secret not in published_text(records)
        assert secret.encode().hex() not in stored


async def test_a_child_found_younger_than_presumed_stays_a_child_past_the_presumed_year(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    centre, mosvy = auth("poipet-tc-system"), auth("mosvy-case-system")
    assessment = {"age": 14, "methods": ["family-confirmed"], "reasons": ["her mother's account of the birth"]}
    async with running(build(settings)) as client:
        presumed = [
            (await client.post("/screenings", json=_presumed_child(screening, days_ago=400), headers=centre)).json()
            for _ in range(2)
        ]
        assessed = await client.post(f"/cases/{presumed[0]['case_id']}/age-assessments", json=assessment, headers=mosvy)
        answers = [await _consents_alone(client, p["case_id"], centre) for p in presumed]

    assert assessed.status_code == 201, assessed.text
    assert (assessed.json()["age_band"], assessed.json()["is_child"]) == ("12-17", True)
    # Taken as 17 at a screening 400 days ago, the unassessed person consents alone; the assessed one cannot.
    assert answers == [422, 201]


async def test_only_the_competent_authority_assesses_an_age_and_a_bad_assessment_is_refused_field_by_field(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    centre, mosvy = auth("poipet-tc-system"), auth("mosvy-case-system")
    good = {"age": 16, "methods": ["interview"], "reasons": ["consistent account of her schooling"]}
    async with running(build(settings)) as client:
        case_id = (await client.post("/screenings", json=screening(), headers=centre)).json()["case_id"]
        by_a_screener = await client.post(f"/cases/{case_id}/age-assessments", json=good, headers=centre)
        bad = await client.post(
            f"/cases/{case_id}/age-assessments", json={**good, "age": 130, "methods": []}, headers=mosvy
        )
        unknown = await client.post("/cases/case-0000000000000000/age-assessments", json=good, headers=mosvy)
        kept = await scalar(settings, "SELECT count(*) FROM age_assessment")

    assert by_a_screener.status_code == 403
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert sorted(e["path"] for e in bad.json()["errors"]) == ["body.age", "body.methods"]
    assert unknown.status_code == 404
    assert kept == 0


async def test_the_competent_authority_reads_a_cases_assessments_for_a_purpose_and_an_erasure_takes_the_ages(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    centre, mosvy = auth("poipet-tc-system"), auth("mosvy-case-system")
    first = {"age": 19, "methods": ["interview"], "reasons": ["her account of her schooling"]}
    second = {"age": 16, "methods": ["documents-verified"], "reasons": [GROUNDS]}
    async with running(build(settings)) as client:
        recorded = (
            await client.post("/screenings", json=_presumed_child(screening, days_ago=3), headers=centre)
        ).json()
        case = f"/cases/{recorded['case_id']}"
        for assessment in (first, second):
            assert (await client.post(f"{case}/age-assessments", json=assessment, headers=mosvy)).status_code == 201
        read = await client.get(f"{case}/age-assessments", params={"purpose": "placement review"}, headers=mosvy)
        without_purpose = await client.get(f"{case}/age-assessments", headers=mosvy)
        by_the_centre = await client.get(f"{case}/age-assessments", params={"purpose": "curiosity"}, headers=centre)
        erased = await client.delete(
            f"{case}/personal-data", params={"legal_basis": "the person's request of 2026-12-01"}, headers=mosvy
        )
        after = await client.get(f"{case}/age-assessments", params={"purpose": "statistics check"}, headers=mosvy)
        trail = await client.get(
            "/audit", params={"screening_id": recorded["screening_id"]}, headers=auth("operations-console")
        )

    assert read.status_code == 200, read.text
    assert [(a["age"], a["age_band"], a["reasons"], a["in_force"]) for a in read.json()] == [
        (19, "18-24", first["reasons"], False),
        (16, "12-17", [GROUNDS], True),
    ]
    assert read.json()[0]["agency"] == "MOSVY"
    assert (without_purpose.status_code, broken(without_purpose)) == (422, [("query.purpose", "purpose_required")])
    assert by_the_centre.status_code == 403
    assert erased.status_code == 204, erased.text
    assert [(a["age"], a["age_band"], a["reasons"]) for a in after.json()] == [(None, "18-24", []), (None, "12-17", [])]
    reads = [(e["purpose"], e["granted"]) for e in trail.json() if "age assessments" in e["reason"]]
    assert reads == [("placement review", True), (None, False), ("statistics check", True)]
