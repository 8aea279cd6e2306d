"""An offer that asks to share the person's data opens it to the provider that takes the person in, and
to no other, from its acceptance until the referral ends: a shelter reads the name of the woman it shelters
while it shelters her, on her consent to sharing between agencies; transferred to legal aid, her data goes
with her and no longer stays with the shelter; the audit trail says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.support.app import eventually
from tests.support.platform import Platform, screening

SHELTER, LEGAL = "prov-ngo-shelter-01", "prov-legal-aid-01"
PURPOSE = {"purpose": "prepare her arrival at the shelter"}


async def test_a_shelter_reads_the_person_it_took_in_until_the_referral_ends(
    platform: Platform, machine_token: Callable[[str], str]
) -> None:
    def auth(client_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {machine_token(client_id)}"}

    mosvy, shelter, legal = auth("mosvy-case-system"), auth("ngo-shelter-system"), auth("ngo-legal-system")
    for provider in _providers():
        await platform.referral.put(f"/providers/{provider['provider_id']}", json=provider, headers=mosvy)
    screened = await platform.identification.post(
        "/screenings", json=screening("Srey Example"), headers=auth("poipet-tc-system")
    )
    case_id, screening_id = screened.json()["case_id"], screened.json()["screening_id"]
    consent = {"purpose": "sharing-agencies", "given": True}
    assert (
        await platform.identification.post(f"/cases/{case_id}/consents", json=consent, headers=mosvy)
    ).status_code == 201
    determination = {"outcome": "trafficking-victim", "reasons": ["deceived"], "exploitation_types": ["sexual"]}
    assert (
        await platform.identification.post(f"/cases/{case_id}/determination", json=determination, headers=mosvy)
    ).status_code == 201

    async def consent_known() -> bool:
        offered = await platform.referral.post(
            f"/cases/{case_id}/offers",
            json={"provider_id": SHELTER, "services": ["shelter"], "share_personal_data": True},
            headers=mosvy,
        )
        offers.append(offered)
        return offered.status_code == 201

    offers: list[httpx.Response] = []
    await eventually(consent_known, what="the referral case opened with her consent known")
    referral = offers[-1].json()["referral_id"]

    async def read(headers: dict[str, str]) -> httpx.Response:
        return await platform.identification.get(f"/screenings/{screening_id}", params=PURPOSE, headers=headers)

    before = await read(shelter)
    assert (await platform.referral.post(f"/referrals/{referral}/accept", headers=shelter)).status_code == 200

    async def opened() -> bool:
        return (await read(shelter)).status_code == 200

    await eventually(opened, what="her data opened to the shelter that took her in")
    sheltered = await read(shelter)
    other_ngo = await read(legal)
    moved = await platform.referral.post(
        f"/referrals/{referral}/transfer", json={"provider_id": LEGAL, "services": ["legal"]}, headers=mosvy
    )
    assert moved.status_code == 201, moved.text
    transferred = moved.json()["referral_id"]
    assert (await platform.referral.post(f"/referrals/{transferred}/accept", headers=legal)).status_code == 200

    async def moved_with_her() -> bool:
        return (await read(legal)).status_code == 200 and (await read(shelter)).status_code == 403

    await eventually(moved_with_her, what="her data following her to the provider she was transferred to")
    closed = await platform.referral.post(
        f"/referrals/{transferred}/stage", json={"stage": "closure", "outcome": "reintegrated"}, headers=legal
    )
    assert closed.status_code == 200, closed.text

    async def ended() -> bool:
        return (await read(legal)).status_code == 403

    await eventually(ended, what="the share ended with the referral")
    trail = await platform.identification.get(
        "/audit", params={"screening_id": screening_id}, headers=auth("operations-console")
    )

    assert before.status_code == 403
    assert sheltered.json()["person"]["names"] == ["Srey Example"]
    assert other_ngo.status_code == 403
    reasons = [entry["reason"] for entry in trail.json()]
    assert reasons.index(f"shared with NGO ({SHELTER}) for referral {referral}") < reasons.index(
        f"share ended: referral {referral} closed"
    )
    assert reasons.index(f"shared with NGO ({LEGAL}) for referral {transferred}") < reasons.index(
        f"share ended: referral {transferred} closed"
    )


def _providers() -> list[dict[str, Any]]:
    common = {"provider_type": "ngo", "sexes": ["female"], "nationalities": ["KHM"], "age_min": 10, "age_max": 60}
    return [
        {**common, "provider_id": SHELTER, "name": "Shelter", "services": ["shelter", "psychosocial"], "capacity": 3},
        {**common, "provider_id": LEGAL, "name": "Legal aid", "services": ["legal"], "capacity": 50},
    ]


def _shelter() -> dict[str, Any]:
    return {
        "provider_id": SHELTER,
        "name": "Shelter",
        "provider_type": "ngo",
        "services": ["shelter", "psychosocial"],
        "sexes": ["female"],
        "nationalities": ["KHM"],
        "age_min": 10,
        "age_max": 60,
        "capacity": 3,
    }
