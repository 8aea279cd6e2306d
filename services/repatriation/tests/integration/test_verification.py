"""Verification that stalls for want of what only the destination country holds: the origin country asks
(a statement, a family contact, documents, a photo), the destination country answers with what was asked
and nothing more (once, however often the same answer is sent), the answer is read for a purpose and
audited, and it is erased with the person."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.app import broken, eventually
from tests.support.images import DEVICE, jpeg_from_a_phone, opened, same_pixels
from tests.support.repatriation import CONSENT, Instance, InstanceFactory, return_request
from tests.support.telemetry import TelemetrySink

PURPOSE = {"purpose": "trace the family in Prey Veng"}
STATEMENT = "Recruited in Prey Veng with the promise of restaurant work in Ho Chi Minh City."
FAMILY = {"relationship": "parent", "names": ["Example Mother"], "phone": "+855 12 000 111", "place": "Prey Veng"}
IMAGES_CONSENT = {"purpose": "images", "given_by": "person", "recorded_at": "2026-11-01T09:00:00+07:00"}
PHOTO = {"media_type": "image/jpeg", "data": base64.b64encode(jpeg_from_a_phone()).decode(), "consent": IMAGES_CONSENT}


async def test_the_destination_answers_what_the_origin_asked_and_it_is_erased_with_the_person(
    countries: InstanceFactory, machine_token: Callable[[str], str], telemetry_sink: TelemetrySink
) -> None:
    kh, vn = await countries(span_exporters=(telemetry_sink.spans,))
    asked = await vn.api.post("/repatriations", json=return_request(origin="KHM"), headers=vn.officer)
    reference = asked.json()["reference"]
    await kh.reached(reference, "requested")
    needs = {"needs": ["statement", "family-contact"]}
    started = await kh.api.post(f"/repatriations/{reference}/verification-request", json=needs, headers=kh.officer)
    assert started.status_code == 200, started.text
    await vn.reached(reference, "verifying")
    information = f"/repatriations/{reference}/verification-information"

    unasked = await vn.api.post(information, json={"statement": STATEMENT, "photo": PHOTO}, headers=vn.officer)
    empty = await vn.api.post(information, json={}, headers=vn.officer)
    from_origin = await kh.api.post(information, json={"statement": STATEMENT}, headers=kh.officer)
    answered, again = [
        await vn.api.post(information, json={"statement": STATEMENT, "family_contact": FAMILY}, headers=vn.officer)
        for _ in range(2)
    ]
    assert (answered.status_code, again.status_code) == (200, 200), again.text

    async def crossed() -> bool:
        return any(m["kind"] == "verification-information" for m in (await kh.show(reference))["messages"])

    await kh.reached(reference, "verifying")
    await eventually(crossed, what="the answer received in Cambodia")
    read = await kh.api.get(information, params=PURPOSE, headers=kh.officer)
    auditor = {"Authorization": f"Bearer {machine_token('operations-console')}"}
    audit = await kh.api.get("/audit", params={"reference": reference}, headers=auditor)
    withdrawn = await vn.api.post(
        f"/repatriations/{reference}/withdrawal", json={"reason": "consent-withdrawn"}, headers=vn.officer
    )
    assert withdrawn.status_code == 200, withdrawn.text
    await kh.reached(reference, "withdrawn")
    after = await kh.api.get(information, params=PURPOSE, headers=kh.officer)
    after_here = await vn.api.get(information, params=PURPOSE, headers=vn.officer)
    audit_after = await kh.api.get("/audit", params={"reference": reference}, headers=auditor)
    refusals = await kh.api.get("/audit", params={"reference": reference, "granted": "false"}, headers=auditor)

    assert (unasked.status_code, unasked.json()["type"].rsplit(":", 1)[-1]) == (409, "sop-not-asked")
    assert "photo" in unasked.json()["detail"]
    assert broken(unasked) == [("body.photo", "not_asked")]
    assert broken(empty) == [("body", "value_error")]
    assert from_origin.status_code == 409
    (answer,) = read.json()
    assert answer["information"]["statement"] == STATEMENT
    assert answer["information"]["family_contact"]["names"] == ["Example Mother"]
    assert PURPOSE["purpose"] in [entry["purpose"] for entry in audit.json()]
    assert (after.status_code, after_here.status_code) == (410, 410)
    assert [entry["granted"] for entry in audit_after.json()][len(audit.json()) :] == [False], "a refused read is kept"
    assert [entry["id"] for entry in refusals.json()] == [audit_after.json()[-1]["id"]]
    kinds = [m["kind"] for m in (await kh.show(reference))["messages"]]
    assert kinds.count("verification-information") == 1, "sent again, the same answer crosses once; its digest stays"
    assert telemetry_sink.leaks([kh.app, vn.app], (STATEMENT, "Example Mother", "Prey Veng")) == []
    assert len(telemetry_sink) > 20, "the scan read the exchange's spans and log lines"


async def _photo_asked_for(kh: Instance, vn: Instance, request: dict[str, Any]) -> str:
    """Viet Nam asks Cambodia to take a person back, and Cambodia asks for their photo: the return's reference."""
    reference: str = (await vn.api.post("/repatriations", json=request, headers=vn.officer)).json()["reference"]
    await kh.reached(reference, "requested")
    needs = {"needs": ["photo"]}
    started = await kh.api.post(f"/repatriations/{reference}/verification-request", json=needs, headers=kh.officer)
    assert started.status_code == 200, started.text
    await vn.reached(reference, "verifying")
    return reference


async def test_a_photo_crosses_the_border_as_its_pixels_alone(countries: InstanceFactory) -> None:
    kh, vn = await countries()
    reference = await _photo_asked_for(kh, vn, return_request(origin="KHM"))
    information = f"/repatriations/{reference}/verification-information"

    cut_short = {**PHOTO, "data": base64.b64encode(jpeg_from_a_phone()[:40]).decode()}
    refused = await vn.api.post(information, json={"photo": cut_short}, headers=vn.officer)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    consent_ahead = {**PHOTO, "consent": {**IMAGES_CONSENT, "recorded_at": tomorrow}}
    not_yet = await vn.api.post(information, json={"photo": consent_ahead}, headers=vn.officer)
    sent = await vn.api.post(information, json={"photo": PHOTO}, headers=vn.officer)
    assert sent.status_code == 200, sent.text

    async def crossed() -> bool:
        return any(m["kind"] == "verification-information" for m in (await kh.show(reference))["messages"])

    await eventually(crossed, what="the photo received in Cambodia")
    read = await kh.api.get(information, params=PURPOSE, headers=kh.officer)

    assert refused.status_code == 422
    assert broken(refused) == [("body.photo.data", "image_unreadable")]
    assert (not_yet.status_code, broken(not_yet)) == (422, [("body.photo.consent.recorded_at", "datetime_past")])
    (answer,) = read.json()
    received = base64.b64decode(answer["information"]["photo"]["data"])
    assert same_pixels(received, jpeg_from_a_phone())
    assert not opened(received).getexif()
    assert DEVICE.encode() not in received


async def test_a_childs_photo_crosses_only_on_a_guardians_consent(countries: InstanceFactory) -> None:
    kh, vn = await countries()
    child = {**return_request(origin="KHM", is_child=True), "consent": {**CONSENT, "given_by": "guardian"}}
    reference = await _photo_asked_for(kh, vn, child)
    information = f"/repatriations/{reference}/verification-information"

    on_the_childs_word = await vn.api.post(information, json={"photo": PHOTO}, headers=vn.officer)
    by_a_guardian = {**PHOTO, "consent": {**IMAGES_CONSENT, "given_by": "guardian"}}
    sent = await vn.api.post(information, json={"photo": by_a_guardian}, headers=vn.officer)

    assert on_the_childs_word.status_code == 409
    assert on_the_childs_word.json()["type"].endswith("sop-safeguards-missing")
    assert sent.status_code == 200, sent.text
    assert [m["kind"] for m in (await vn.show(reference))["messages"]] == [
        "return-request",
        "verification-request",
        "verification-information",
    ]
