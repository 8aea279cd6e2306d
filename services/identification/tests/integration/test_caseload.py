"""An agency lists its own screenings; the competent authority lists any agency's and works its queue
of cases awaiting a determination, earliest deadline first, a page at a time, with no personal data; the
police work theirs of cases awaiting their co-signature, whoever screened them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from spean_identification.app import build
from spean_identification.settings import IdentificationSettings
from tests.support.app import pages, running

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]
VULNERABLE = {"outcome": "vulnerable-person", "reasons": ["migrant worker, no means of coercion found"]}


async def test_the_competent_authority_works_its_queue_and_an_agency_sees_its_own(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory, personal_data: tuple[str, ...]
) -> None:
    settings = await identification_settings(require_co_signature=True)
    police, transit, mosvy = auth("moi-case-system"), auth("poipet-tc-system"), auth("mosvy-case-system")
    async with running(build(settings)) as client:
        recorded = []
        for headers in (police, transit, police, transit):
            answer = await client.post("/screenings", json=screening(), headers=headers)
            assert answer.status_code == 201, answer.text
            recorded.append(answer.json())
        determined, awaiting = recorded[0]["case_id"], recorded[1]["case_id"]
        decided = await client.post(f"/cases/{determined}/determination", json=VULNERABLE, headers=mosvy)
        assert decided.status_code == 201, decided.text
        assert (await client.post(f"/cases/{determined}/determination/co-signature", headers=police)).status_code == 200
        decided = await client.post(f"/cases/{awaiting}/determination", json=VULNERABLE, headers=mosvy)
        assert decided.status_code == 201, decided.text

        queued = await pages(client, "/screenings", mosvy, awaiting="determination", limit=1)
        co_signing = await client.get("/screenings", params={"awaiting": "co-signature"}, headers=mosvy)
        own = await client.get("/screenings", headers=police)
        to_co_sign = await client.get("/screenings", params={"awaiting": "co-signature"}, headers=police)
        others = await client.get("/screenings", params={"agency": "MOSVY-POIPET-TC"}, headers=police)
        for_mosvy = await client.get("/screenings", params={"agency": "MOSVY-POIPET-TC"}, headers=mosvy)

    queue = [row for page in queued for row in page.json()]
    assert [len(page.json()) for page in queued] == [1, 1]
    assert [row["screening_id"] for row in queue] == [recorded[2]["screening_id"], recorded[3]["screening_id"]]
    assert [row["determination_due"] for row in queue] == sorted(row["determination_due"] for row in queue)
    assert [row["case_id"] for row in co_signing.json()] == [awaiting]
    assert co_signing.json()[0]["determination"] == "awaiting-co-signature"
    assert [(row["case_id"], row["determination"], row["outcome"]) for row in own.json()] == [
        (determined, "final", "vulnerable-person"),
        (recorded[2]["case_id"], None, None),
    ]
    assert others.status_code == 403
    assert [row["case_id"] for row in to_co_sign.json()] == [awaiting]
    assert {row["agency"] for row in for_mosvy.json()} == {"MOSVY-POIPET-TC"}
    assert len(for_mosvy.json()) == 2
    listed = own.text + for_mosvy.text + "".join(page.text for page in queued)
    for secret in personal_data:
        assert secret not in listed
