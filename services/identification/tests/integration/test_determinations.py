"""A determination read back with its grounds: by the competent authority, and by the police whose
co-signature it awaits, for a purpose and audited; a lawful erasure takes the grounds with the person."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from spean_identification.app import build
from spean_identification.settings import IdentificationSettings
from tests.support.app import running

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]
GROUNDS = ["Sok Dara's passport was held by the boat's captain", "debt bondage at sea"]
BEFORE_SIGNING = {"purpose": "grounds read before co-signing"}


async def test_the_police_read_the_grounds_they_co_sign_and_an_erasure_takes_the_grounds_with_the_person(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings(require_co_signature=True)
    mosvy, police = auth("mosvy-case-system"), auth("moi-case-system")
    async with running(build(settings)) as client:
        screened = (await client.post("/screenings", json=screening(), headers=auth("poipet-tc-system"))).json()
        undetermined = (await client.post("/screenings", json=screening(), headers=auth("poipet-tc-system"))).json()
        case = f"/cases/{screened['case_id']}"
        body = {"outcome": "trafficking-victim", "reasons": GROUNDS, "exploitation_types": ["forced-labour"]}
        await client.post(f"{case}/determination", json=body, headers=mosvy)
        before_signing = await client.get(f"{case}/determination", params=BEFORE_SIGNING, headers=police)
        without_purpose = await client.get(f"{case}/determination", headers=police)
        by_the_court = await client.get(
            f"{case}/determination", params=BEFORE_SIGNING, headers=auth("moj-court-system")
        )
        by_the_centre = await client.get(
            f"{case}/determination", params=BEFORE_SIGNING, headers=auth("poipet-tc-system")
        )
        not_yet = await client.get(
            f"/cases/{undetermined['case_id']}/determination", params=BEFORE_SIGNING, headers=mosvy
        )
        signed = await client.post(f"{case}/determination/co-signature", headers=police)
        erased = await client.delete(
            f"{case}/personal-data", params={"legal_basis": "the person's request of 2026-12-01"}, headers=mosvy
        )
        after_erasure = await client.get(f"{case}/determination", params={"purpose": "yearly review"}, headers=mosvy)
        trail = await client.get(
            "/audit", params={"screening_id": screened["screening_id"]}, headers=auth("operations-console")
        )

    assert before_signing.status_code == 200, before_signing.text
    assert {key: before_signing.json()[key] for key in ("status", "outcome", "reasons", "exploitation_types")} == {
        "status": "awaiting-co-signature",
        "outcome": "trafficking-victim",
        "reasons": GROUNDS,
        "exploitation_types": ["forced-labour"],
    }
    assert before_signing.json()["agency"] == "MOSVY"
    assert (without_purpose.status_code, without_purpose.json()["type"].rsplit(":", 1)[-1]) == (400, "read-refused")
    assert (by_the_court.status_code, by_the_centre.status_code) == (403, 403)
    assert not_yet.status_code == 404
    assert (signed.status_code, erased.status_code) == (200, 204)
    assert after_erasure.status_code == 200, after_erasure.text
    assert (after_erasure.json()["status"], after_erasure.json()["reasons"]) == ("final", [])
    reads = [(e["agency"], e["purpose"], e["granted"]) for e in trail.json() if "determination" in e["reason"]]
    assert reads == [
        ("MOI-AHTJP", BEFORE_SIGNING["purpose"], True),
        ("MOI-AHTJP", None, False),
        ("MOSVY", "yearly review", True),
    ]
