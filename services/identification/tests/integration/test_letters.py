"""A victim's identification letter: issued by the competent authority on a determination as a trafficking
victim, checked by the police or a court the person shows it to, replaced when lost; every check audited, and
the code kept out of the service's traces and logs."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from spean_identification.app import build
from spean_identification.domain.letters import new_code
from spean_identification.settings import IdentificationSettings
from tests.support.app import broken, running, scalar
from tests.support.telemetry import TelemetrySink, telemetry_sink

__all__ = ["telemetry_sink"]

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]
COURT = {"purpose": "Banteay Meanchey court, case 112/2026"}
ARREST = {"purpose": "arrested for soliciting in Poipet"}
DETERMINED = {
    "outcome": "trafficking-victim",
    "reasons": ["debt bondage at sea"],
    "exploitation_types": ["forced-labour"],
}


async def _determined(
    client: httpx.AsyncClient, auth: Auth, screening: dict[str, Any], outcome: dict[str, Any]
) -> tuple[str, str]:
    """A person screened at Poipet and determined by MoSVY: their case and screening."""
    screened = (await client.post("/screenings", json=screening, headers=auth("poipet-tc-system"))).json()
    case_id: str = screened["case_id"]
    determined = await client.post(f"/cases/{case_id}/determination", json=outcome, headers=auth("mosvy-case-system"))
    assert determined.status_code == 201, determined.text
    return case_id, screened["screening_id"]


async def test_a_court_checks_a_victims_letter_and_a_replaced_letter_no_longer_holds(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory, telemetry_sink: TelemetrySink
) -> None:
    settings = await identification_settings()
    mosvy, court, police = auth("mosvy-case-system"), auth("moj-court-system"), auth("moi-case-system")
    app = build(settings, span_exporters=(telemetry_sink.spans,))
    async with running(app) as client:
        case_id, screening_id = await _determined(client, auth, screening(), DETERMINED)
        first = await client.post(f"/cases/{case_id}/letters", headers=mosvy)
        code = first.json()["code"]
        # As a clerk types it from paper: lower case, spaced instead of hyphenated.
        checked = await client.post(
            "/letters/check", json={"code": code.lower().replace("-", " "), **COURT}, headers=court
        )
        second = await client.post(f"/cases/{case_id}/letters", headers=mosvy)
        old = await client.post("/letters/check", json={"code": code, **ARREST}, headers=police)
        new = await client.post("/letters/check", json={"code": second.json()["code"], **ARREST}, headers=police)
        unknown = await client.post("/letters/check", json={"code": new_code(), **COURT}, headers=court)
        garbled = await client.post("/letters/check", json={"code": "1234-ABCD", "purpose": "      "}, headers=court)
        listed = await client.get(f"/cases/{case_id}/letters", headers=mosvy)
        listed_by_the_court = await client.get(f"/cases/{case_id}/letters", headers=court)
        trail = await client.get("/audit", params={"screening_id": screening_id}, headers=auth("operations-console"))

    assert first.status_code == 201, first.text
    assert first.headers["cache-control"] == "no-store"
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", code)
    assert checked.status_code == 200, checked.text
    assert {key: checked.json()[key] for key in ("case_id", "outcome", "exploitation_types", "determined_by")} == {
        "case_id": case_id,
        "outcome": "trafficking-victim",
        "exploitation_types": ["forced-labour"],
        "determined_by": "MOSVY",
    }
    assert second.json()["replaces"] == [first.json()["letter_id"]]
    assert (old.status_code, old.json()["type"].rsplit(":", 1)[-1]) == (410, "letter-replaced")
    assert "case_id" not in old.json(), "a replaced letter, maybe taken from the person, says nothing of the case"
    assert new.json()["letter_id"] == second.json()["letter_id"]
    assert [(letter["letter_id"], letter["replaced_at"] is None) for letter in listed.json()] == [
        (first.json()["letter_id"], False),
        (second.json()["letter_id"], True),
    ]
    assert code not in listed.text
    assert listed_by_the_court.status_code == 403
    assert (unknown.status_code, unknown.json()["type"].rsplit(":", 1)[-1]) == (404, "letter-unknown")
    assert broken(garbled) == [
        ("body.code", "letter_code"),
        ("body.purpose", "purpose_required"),
    ]
    checks = [(e["agency"], e["purpose"], e["granted"]) for e in trail.json() if "letter" in e["reason"]]
    assert checks == [
        ("MOJ", COURT["purpose"], True),
        ("MOI-AHTJP", ARREST["purpose"], False),
        ("MOI-AHTJP", ARREST["purpose"], True),
    ]
    codes = [code, code.replace("-", ""), second.json()["code"], second.json()["code"].replace("-", "")]
    assert telemetry_sink.leaks([app], codes) == []
    assert len(telemetry_sink) > 10, "the scan read the service's spans and log lines"


async def test_only_a_final_determination_as_a_victim_gets_a_letter_and_only_the_competent_authority_issues_it(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings(require_co_signature=True)
    mosvy = auth("mosvy-case-system")
    vulnerable = {"outcome": "vulnerable-person", "reasons": ["migrant worker, no means of coercion found"]}
    async with running(build(settings)) as client:
        victim, _ = await _determined(client, auth, screening(), DETERMINED)
        other, _ = await _determined(client, auth, screening(), vulnerable)
        awaiting = await client.post(f"/cases/{victim}/letters", headers=mosvy)
        by_the_court = await client.post(f"/cases/{victim}/letters", headers=auth("moj-court-system"))
        await client.post(f"/cases/{victim}/determination/co-signature", headers=auth("moi-case-system"))
        co_signed = await client.post(f"/cases/{victim}/letters", headers=mosvy)
        not_a_victim = await client.post(f"/cases/{other}/letters", headers=mosvy)
        by_an_analyst = await client.post(
            "/letters/check", json={"code": co_signed.json()["code"], **COURT}, headers=auth("ncct-statistics-system")
        )

    assert (awaiting.status_code, awaiting.json()["type"].rsplit(":", 1)[-1]) == (409, "not-identified")
    assert "awaiting-co-signature" in awaiting.json()["detail"]
    assert by_the_court.status_code == 403
    assert co_signed.status_code == 201, co_signed.text
    assert co_signed.json()["replaces"] == []
    assert (not_a_victim.status_code, not_a_victim.json()["type"].rsplit(":", 1)[-1]) == (409, "not-identified")
    assert by_an_analyst.status_code == 403


async def test_a_letter_issued_again_under_its_key_is_issued_once_and_its_code_is_not_kept(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    """The answer holding the code was lost: sent again under its key, the request issues no second letter,
    and the code is not given again from a store of answers, as it is kept only as a digest."""
    settings = await identification_settings()
    keyed = {**auth("mosvy-case-system"), "Idempotency-Key": "mosvy-letter-0001"}
    async with running(build(settings)) as client:
        case_id, _ = await _determined(client, auth, screening(), DETERMINED)
        first = await client.post(f"/cases/{case_id}/letters", headers=keyed)
        again = await client.post(f"/cases/{case_id}/letters", headers=keyed)
        listed = await client.get(f"/cases/{case_id}/letters", headers=auth("mosvy-case-system"))
        kept = await scalar(settings, "SELECT count(*) FROM idempotent_request WHERE body IS NOT NULL")
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["type"] == "urn:kh:spean:problem:answer-not-kept"
    assert first.json()["code"] not in again.text
    assert [letter["letter_id"] for letter in listed.json()] == [first.json()["letter_id"]]
    assert kept == 0
