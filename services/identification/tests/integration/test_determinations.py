"""A determination read back with its grounds: by the competent authority, and by the police whose
co-signature it awaits, for a purpose and audited. The grounds may name the person: they are sealed with the
case's key (those an earlier release kept in plain text too, at the next start), and a lawful erasure takes
them with the person."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from spean_identification.app import build
from spean_identification.settings import IdentificationSettings
from tests.support.app import broken, eventually, running, scalar, tamper

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]
GROUNDS = ["Sok Dara's passport was held by the boat's captain", "debt bondage at sea"]
BEFORE_SIGNING = {"purpose": "grounds read before co-signing"}
DETERMINED = {"outcome": "trafficking-victim", "reasons": GROUNDS, "exploitation_types": ["forced-labour"]}
STORED = "SELECT reasons::text || coalesce(encode(sealed_reasons, 'escape'), '') FROM determination"


async def test_the_police_read_the_grounds_they_co_sign_and_an_erasure_takes_the_grounds_with_the_person(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings(require_co_signature=True)
    mosvy, police = auth("mosvy-case-system"), auth("moi-case-system")
    async with running(build(settings)) as client:
        screened = (await client.post("/screenings", json=screening(), headers=auth("poipet-tc-system"))).json()
        undetermined = (await client.post("/screenings", json=screening(), headers=auth("poipet-tc-system"))).json()
        case = f"/cases/{screened['case_id']}"
        await client.post(f"{case}/determination", json=DETERMINED, headers=mosvy)
        stored = await scalar(settings, STORED)
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
    assert "Sok Dara" not in stored, "the grounds are sealed at rest"
    assert "debt bondage" not in stored
    assert (without_purpose.status_code, without_purpose.json()["type"].rsplit(":", 1)[-1]) == (422, "validation")
    assert broken(without_purpose) == [("query.purpose", "purpose_required")]
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


async def test_grounds_an_earlier_release_kept_in_plain_text_are_sealed_at_the_next_start(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    mosvy = auth("mosvy-case-system")
    async with running(build(settings)) as client:
        case_id = (await client.post("/screenings", json=screening(), headers=mosvy)).json()["case_id"]
        await client.post(f"/cases/{case_id}/determination", json=DETERMINED, headers=mosvy)
    # As the release before this one wrote them.
    await tamper(
        settings,
        "UPDATE determination SET reasons = CAST(:grounds AS jsonb), sealed_reasons = NULL",
        grounds=json.dumps(GROUNDS),
    )

    async def sealed() -> bool:
        return bool(await scalar(settings, "SELECT sealed_reasons IS NOT NULL FROM determination"))

    async with running(build(settings)) as client:
        await eventually(sealed, what="the grounds sealed")
        read = await client.get(f"/cases/{case_id}/determination", params={"purpose": "yearly review"}, headers=mosvy)

    assert read.json()["reasons"] == GROUNDS
    assert "Sok Dara" not in await scalar(settings, STORED)
