"""A person's data recorded wrong is corrected by the agency that screened them, or by the competent authority:
the sealed record, the case's profile and its match keys follow, and the correction is audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from spean_contracts import from_kafka_record
from spean_contracts.fields import local_today
from spean_contracts.registry import IDENTIFICATION
from spean_identification.app import build
from spean_identification.corrections import CORRECTED
from spean_identification.settings import IdentificationSettings
from tests.support.app import running
from tests.support.kafka import published, published_text

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]


def _fifteen_years_before(day: str) -> str:
    met = datetime.fromisoformat(day)
    return date(met.year - 15, 1, 1).isoformat()


async def test_the_screening_agency_corrects_a_birth_date_and_the_case_becomes_a_childs_with_new_match_keys(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory, personal_data: tuple[str, ...]
) -> None:
    settings = await identification_settings()
    centre = auth("poipet-tc-system")
    recorded_body = screening()
    person = recorded_body["person"] | {"birth_date": _fifteen_years_before(recorded_body["encountered_at"])}
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=recorded_body, headers=centre)).json()
        path = f"/screenings/{recorded['screening_id']}"
        corrected = await client.put(
            f"{path}/person", json={"person": person, "reason": "documents-verified"}, headers=centre
        )
        read = await client.get(path, params={"purpose": "check the correction"}, headers=centre)
        trail = await client.get(
            "/audit", params={"screening_id": recorded["screening_id"]}, headers=auth("operations-console")
        )
        records = [r for r in await published(settings, IDENTIFICATION) if r.key == recorded["case_id"].encode()]

    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["age_band"], corrected.json()["is_child"]) == ("12-17", True)
    assert read.json()["person"]["birth_date"] == person["birth_date"]
    assert (read.json()["location"], read.json()["notes"]) == (recorded_body["location"], recorded_body["notes"])
    assert [(e["purpose"], e["reason"]) for e in trail.json()] == [
        ("documents-verified", CORRECTED),
        ("check the correction", "owning agency"),
    ]
    events = {e.type: e.data.model_dump(mode="json") for e in (from_kafka_record(r.value, r.headers) for r in records)}
    before, after = (
        events["kh.spean.identification.screening-recorded.v1"],
        events["kh.spean.identification.screening-corrected.v1"],
    )
    assert (after["is_child"], after["age_band"], after["reason"]) == (True, "12-17", "documents-verified")
    # Every key was made with the wrong birth date: none of them stands for the person any more.
    assert after["match_keys"]
    assert not set(after["match_keys"]) & set(before["match_keys"])
    everything = published_text(records)
    assert not [secret for secret in (*personal_data, person["birth_date"]) if secret in everything]


async def test_only_the_screening_agency_or_the_competent_authority_corrects_and_an_assessed_age_still_decides(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    centre, police, mosvy = auth("poipet-tc-system"), auth("moi-case-system"), auth("mosvy-case-system")
    recorded_body = screening()
    child = recorded_body["person"] | {"birth_date": _fifteen_years_before(recorded_body["encountered_at"])}
    today = local_today()
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=recorded_body, headers=centre)).json()
        path = f"/screenings/{recorded['screening_id']}/person"
        by_other_police = await client.put(path, json={"person": child, "reason": "recording-error"}, headers=police)
        unnamed = await client.put(path, json={"person": {**child, "names": []}, "reason": "typo"}, headers=mosvy)
        assessed = await client.post(
            f"/cases/{recorded['case_id']}/age-assessments",
            json={"age": 30, "methods": ["documents-verified"], "reasons": ["passport verified with the issuer"]},
            headers=mosvy,
        )
        by_the_authority = await client.put(path, json={"person": child, "reason": "person-corrected"}, headers=mosvy)
        erased = await client.delete(
            f"/cases/{recorded['case_id']}/personal-data",
            params={"legal_basis": f"the person's request of {today.isoformat()}"},
            headers=mosvy,
        )
        after_erasure = await client.put(path, json={"person": child, "reason": "recording-error"}, headers=centre)

    assert by_other_police.status_code == 403
    assert unnamed.status_code == 422
    assert sorted((e["path"], e["rule"]) for e in unnamed.json()["errors"]) == [
        ("body.person.names", "too_short"),
        ("body.reason", "enum"),
    ]
    assert assessed.status_code == 201
    assert by_the_authority.status_code == 200, by_the_authority.text
    assert (by_the_authority.json()["age_band"], by_the_authority.json()["is_child"]) == ("25-34", False)
    assert erased.status_code == 204
    assert after_erasure.status_code == 410
