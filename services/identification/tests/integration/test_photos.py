"""A screened person's photo: taken only with their consent to images, kept without what the phone wrote
into it, sealed at rest, read like the rest of their data (by agency and purpose, audited), and gone when
the consent is withdrawn or the case erased."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from spean_identification.app import build
from spean_identification.settings import IdentificationSettings
from tests.support.app import broken, running, scalar
from tests.support.images import DEVICE, jpeg_from_a_phone, opened, png_with_text, same_pixels

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]
PURPOSE = {"purpose": "identify the person at the handover"}
JPEG = {"Content-Type": "image/jpeg"}


async def test_a_photo_is_taken_with_consent_read_for_a_purpose_and_gone_when_consent_is_withdrawn(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    police, ngo, sent = auth("moi-case-system"), auth("ngo-shelter-system"), jpeg_from_a_phone()
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=screening(), headers=police)).json()
        path, photo = f"/screenings/{recorded['screening_id']}", f"/screenings/{recorded['screening_id']}/photo"
        consents = f"/cases/{recorded['case_id']}/consents"

        without_consent = await client.put(photo, content=sent, headers=police | JPEG)
        await client.post(consents, json={"purpose": "images", "given": True}, headers=police)
        by_another_agency = await client.put(photo, content=sent, headers=ngo | JPEG)
        as_bytes = await client.put(photo, content=sent, headers=police | {"Content-Type": "application/octet-stream"})
        taken = await client.put(photo, content=sent, headers=police | JPEG)
        read = await client.get(photo, params=PURPOSE, headers=police)
        screening_read = await client.get(path, params=PURPOSE, headers=police)
        without_purpose = await client.get(photo, headers=police)
        not_shared = await client.get(photo, params=PURPOSE, headers=ngo)
        at_rest = await scalar(settings, "SELECT image FROM photo")
        replaced = await client.put(photo, content=png_with_text(), headers=police | {"Content-Type": "image/png"})
        read_again = await client.get(photo, params=PURPOSE, headers=police)
        await client.post(consents, json={"purpose": "images", "given": False}, headers=police)
        after_withdrawal = await client.get(photo, params=PURPOSE, headers=police)
        taken_again = await client.put(photo, content=sent, headers=police | JPEG)
        trail = await client.get(
            "/audit", params={"screening_id": recorded["screening_id"]}, headers=auth("operations-console")
        )

    assert without_consent.status_code == 409
    assert without_consent.json()["type"].endswith("consent-required")
    assert by_another_agency.status_code == 403
    assert as_bytes.status_code == 415
    assert broken(as_bytes) == [("body", "media_type")]
    assert taken.status_code == 201
    assert (taken.json()["media_type"], taken.json()["size"]) == ("image/jpeg", len(read.content))
    assert read.status_code == 200
    assert read.headers["content-type"] == "image/jpeg"
    assert read.headers["cache-control"] == "no-store"
    assert read.headers["x-content-type-options"] == "nosniff"
    assert same_pixels(read.content, sent)
    assert not opened(read.content).getexif()
    assert DEVICE.encode() not in read.content
    assert screening_read.json()["photo"] == taken.json()
    assert (without_purpose.status_code, broken(without_purpose)) == (422, [("query.purpose", "purpose_required")])
    assert not_shared.status_code == 403
    assert read.content[-200:] not in at_rest
    assert replaced.status_code == 200
    assert read_again.headers["content-type"] == "image/png"
    assert same_pixels(read_again.content, png_with_text())
    assert after_withdrawal.status_code == 404
    assert taken_again.status_code == 409
    assert await scalar(settings, "SELECT count(*) FROM photo") == 0
    assert [(e["agency"], e["granted"], e["reason"]) for e in trail.json()] == [
        ("MOI-AHTJP", True, "photo taken"),
        ("MOI-AHTJP", True, "owning agency (photo)"),
        ("MOI-AHTJP", True, "owning agency"),
        ("MOI-AHTJP", False, "a purpose of at least five characters is required (photo)"),
        ("NGO", False, "not the owning agency and not shared with it (photo)"),
        ("MOI-AHTJP", True, "photo replaced"),
        ("MOI-AHTJP", True, "owning agency (photo)"),
        ("MOI-AHTJP", True, "photo deleted: consent to images withdrawn"),
    ]


async def _photographed_with_consent_to_share(
    client: httpx.AsyncClient, police: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    """A person screened by the police who consented to images and to sharing, and whose photo was taken."""
    recorded: dict[str, Any] = (await client.post("/screenings", json=body, headers=police)).json()
    consents = f"/cases/{recorded['case_id']}/consents"
    for purpose in ("images", "sharing-agencies"):
        await client.post(consents, json={"purpose": purpose, "given": True}, headers=police)
    photo = f"/screenings/{recorded['screening_id']}/photo"
    assert (await client.put(photo, content=jpeg_from_a_phone(), headers=police | JPEG)).status_code == 201
    return recorded


async def test_a_shared_reader_sees_the_photo_and_an_erasure_takes_it(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    police, shelter, authority = auth("moi-case-system"), auth("ngo-shelter-system"), auth("mosvy-case-system")
    async with running(build(settings)) as client:
        recorded = await _photographed_with_consent_to_share(client, police, screening())
        photo = f"/screenings/{recorded['screening_id']}/photo"
        shared = {"agency": "NGO", "organisation": "prov-ngo-shelter-01", "photo": True}
        assert (await client.post(f"{photo[:-6]}/shares", json=shared, headers=police)).status_code == 204
        by_the_shelter = await client.get(photo, params=PURPOSE, headers=shelter)
        deleted_by_the_shelter = await client.delete(photo, headers=shelter)
        erased = await client.delete(
            f"/cases/{recorded['case_id']}/personal-data",
            params={"legal_basis": "Phnom Penh court order 123/2026"},
            headers=authority,
        )
        after_erasure = await client.get(photo, params=PURPOSE, headers=police)

    assert by_the_shelter.status_code == 200
    assert same_pixels(by_the_shelter.content, jpeg_from_a_phone())
    assert deleted_by_the_shelter.status_code == 403
    assert erased.status_code == 204
    assert after_erasure.status_code == 410
    assert await scalar(settings, "SELECT count(*) FROM photo") == 0


async def test_the_agency_that_took_a_photo_deletes_it(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    police = auth("moi-case-system")
    async with running(build(settings)) as client:
        recorded = (await client.post("/screenings", json=screening(), headers=police)).json()
        photo = f"/screenings/{recorded['screening_id']}/photo"
        await client.post(
            f"/cases/{recorded['case_id']}/consents", json={"purpose": "images", "given": True}, headers=police
        )
        await client.put(photo, content=jpeg_from_a_phone(), headers=police | JPEG)
        deleted = await client.delete(photo, headers=police)
        deleted_again = await client.delete(photo, headers=police)
        read = await client.get(photo, params=PURPOSE, headers=police)

    assert deleted.status_code == 204
    assert deleted_again.status_code == 404
    assert read.status_code == 404
    assert read.json()["detail"] == "no photo of this screening is kept"


async def test_a_share_opens_the_photo_only_when_it_says_so(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    police, shelter, auditor = auth("moi-case-system"), auth("ngo-shelter-system"), auth("operations-console")
    async with running(build(settings)) as client:
        recorded = await _photographed_with_consent_to_share(client, police, screening())
        path = f"/screenings/{recorded['screening_id']}"
        shelter_01 = {"agency": "NGO", "organisation": "prov-ngo-shelter-01"}

        assert (await client.post(f"{path}/shares", json=shelter_01, headers=police)).status_code == 204
        rest_without_photo = await client.get(path, params=PURPOSE, headers=shelter)
        photo_refused = await client.get(f"{path}/photo", params=PURPOSE, headers=shelter)
        assert (
            await client.post(f"{path}/shares", json=shelter_01 | {"photo": True}, headers=police)
        ).status_code == 204
        rest_with_photo = await client.get(path, params=PURPOSE, headers=shelter)
        photo_read = await client.get(f"{path}/photo", params=PURPOSE, headers=shelter)
        trail = await client.get("/audit", params={"screening_id": recorded["screening_id"]}, headers=auditor)

    assert rest_without_photo.status_code == 200
    assert rest_without_photo.json()["person"]["names"] == ["Sok Dara"]
    assert rest_without_photo.json()["photo"] is None
    assert photo_refused.status_code == 403
    assert photo_refused.json()["detail"] == "shared without the photo"
    assert rest_with_photo.json()["photo"]["media_type"] == "image/jpeg"
    assert photo_read.status_code == 200
    assert same_pixels(photo_read.content, jpeg_from_a_phone())
    assert [(e["agency"], e["granted"], e["reason"]) for e in trail.json()][-6:] == [
        ("MOI-AHTJP", True, "shared with NGO (prov-ngo-shelter-01)"),
        ("NGO", True, "shared with this agency"),
        ("NGO", False, "shared without the photo (photo)"),
        ("MOI-AHTJP", True, "shared with NGO (prov-ngo-shelter-01) with the photo"),
        ("NGO", True, "shared with this agency"),
        ("NGO", True, "shared with this agency (photo)"),
    ]
