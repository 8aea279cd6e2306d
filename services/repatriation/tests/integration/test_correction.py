"""A person's data the return request carried, found wrong while the origin country verifies it, is
corrected across the border: the origin country then verifies the corrected person. Identification's own
corrections mark the returns whose person the counterpart holds out of date."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from spean_contracts.events import AgeAssessed, PersonalDataErased, ScreeningCorrected
from spean_contracts.vocabulary import AgeBand, AgeMethod, Agency, CorrectionReason, Country, Province, Sex
from spean_local.endpoints import Endpoints
from tests.support.app import eventually, scalar
from tests.support.kafka import publish
from tests.support.repatriation import CONSENT, Instance, InstanceFactory, asked_of_viet_nam, person
from tests.support.telemetry import TelemetrySink

PURPOSE = {"purpose": "verify the person's identity"}
GUARDIAN = {**CONSENT, "given_by": "guardian"}
RIGHT_NAME = "Nguyen Thi Corrected"
VERIFIED = {"verified": True, "nationality_confirmed": True, "victim_status_confirmed": True}


async def verified_by_viet_nam(kh: Instance, vn: Instance, reference: str) -> None:
    verified = await vn.api.post(
        f"/repatriations/{reference}/verification-result",
        json=VERIFIED,
        headers=vn.officer,
    )
    assert verified.status_code == 200, verified.text
    await kh.reached(reference, "verified")


def correction(consent: dict[str, str] = CONSENT, **person_overrides: object) -> dict[str, object]:
    return {
        "person": person(claimed_nationality="VNM", **person_overrides),
        "consent": consent,
        "reason": "documents-verified",
    }


async def test_a_corrected_person_crosses_and_is_verified_instead_until_the_verification_result(
    countries: InstanceFactory, telemetry_sink: TelemetrySink
) -> None:
    kh, vn = await countries(span_exporters=(telemetry_sink.spans,))
    _, reference = await asked_of_viet_nam(kh)
    await vn.reached(reference, "requested")
    corrected = f"/repatriations/{reference}/person"

    named = await kh.api.put(corrected, json=correction(names=[RIGHT_NAME]), headers=kh.officer)
    assert named.status_code == 200, named.text
    # Documents show her 16: a child, whose data crosses on a guardian's consent only.
    sixteen = (datetime.now(UTC) - timedelta(days=16 * 365 + 100)).date().isoformat()
    on_her_word = await kh.api.put(
        corrected, json=correction(names=[RIGHT_NAME], birth_date=sixteen, is_child=True), headers=kh.officer
    )
    a_child = await kh.api.put(
        corrected,
        json=correction(GUARDIAN, names=[RIGHT_NAME], birth_date=sixteen, is_child=True),
        headers=kh.officer,
    )
    assert a_child.status_code == 200, a_child.text
    retried = await kh.api.put(
        corrected,
        json=correction(GUARDIAN, names=[RIGHT_NAME], birth_date=sixteen, is_child=True),
        headers=kh.officer,
    )
    from_origin = await vn.api.put(corrected, json=correction(), headers=vn.officer)

    async def both_crossed() -> bool:
        kinds = [m["kind"] for m in (await vn.show(reference))["messages"]]
        return kinds.count("identity-correction") == 2

    await eventually(both_crossed, what="both corrections received in Viet Nam")
    read_there = await vn.api.get(corrected, params=PURPOSE, headers=vn.officer)
    shown_there = await vn.show(reference)
    # Viet Nam verifies the corrected person: a child's return now needs the child's safeguards.
    await verified_by_viet_nam(kh, vn, reference)
    too_late = await kh.api.put(corrected, json=correction(GUARDIAN, names=["Another Name"]), headers=kh.officer)
    as_an_adult = await vn.api.post(
        f"/repatriations/{reference}/acceptance", json={"travel_document_issued": True}, headers=vn.officer
    )

    assert (on_her_word.status_code, on_her_word.json()["type"].rsplit(":", 1)[-1]) == (409, "sop-safeguards-missing")
    assert from_origin.status_code == 409
    assert retried.status_code == 200
    assert [m["kind"] for m in retried.json()["messages"]].count("identity-correction") == 2, "a retry is sent once"
    assert read_there.json()["names"] == [RIGHT_NAME]
    assert (read_there.json()["birth_date"], read_there.json()["is_child"]) == (sixteen, True)
    assert (shown_there["state"], shown_there["is_child"]) == ("requested", True)
    assert (too_late.status_code, too_late.json()["type"].rsplit(":", 1)[-1]) == (409, "sop-step-not-allowed")
    assert (as_an_adult.status_code, as_an_adult.json()["type"].rsplit(":", 1)[-1]) == (409, "sop-safeguards-missing")
    assert telemetry_sink.leaks([kh.app, vn.app], (RIGHT_NAME, sixteen)) == []


def assessed_a_child(case_id: str, at: datetime) -> AgeAssessed:
    return AgeAssessed(
        case_id=case_id,
        age_band=AgeBand.TEEN,
        is_child=True,
        methods=[AgeMethod.DOCUMENTS_VERIFIED],
        agency=Agency.MOSVY,
        assessed_at=at,
    )


async def test_identifications_correction_marks_the_return_until_the_corrected_person_is_sent(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    case_id, reference = await asked_of_viet_nam(kh)
    _, untouched = await asked_of_viet_nam(kh)
    await vn.reached(reference, "requested")
    assessed_at = datetime.now(UTC)
    await publish(servers.kafka_bootstrap, kh.settings.topic_namespace, assessed_a_child(case_id, assessed_at))

    async def marked() -> bool:
        return (await kh.show(reference))["identity_changed_at"] is not None

    await eventually(marked, what="the return marked by MoSVY's age assessment")
    marked_list = await kh.api.get("/repatriations", params={"identity_changed": "true"}, headers=kh.officer)
    mark = (await kh.show(reference))["identity_changed_at"]
    sixteen = (datetime.now(UTC) - timedelta(days=16 * 365 + 100)).date().isoformat()
    sent = await kh.api.put(
        f"/repatriations/{reference}/person",
        json=correction(GUARDIAN, birth_date=sixteen, is_child=True),
        headers=kh.officer,
    )
    assert sent.status_code == 200, sent.text
    # Identification's correction of before the person was sent across comes late, and an assessment agrees
    # with what was sent: neither is news. The erasure after them shows they were read.
    late = ScreeningCorrected(
        case_id=case_id,
        screening_id=f"scr-{uuid.uuid4().hex}",
        province=Province("KH-12"),
        sex=Sex("female"),
        age_band=AgeBand.TEEN,
        nationality=Country.VIET_NAM,
        is_child=True,
        match_keys=[],
        reason=CorrectionReason.DOCUMENTS_VERIFIED,
        agency=Agency.MOSVY,
        corrected_at=assessed_at,
    )
    agreeing = assessed_a_child(case_id, datetime.now(UTC))
    erased = PersonalDataErased(case_id=case_id, erased_at=datetime.now(UTC))
    await publish(servers.kafka_bootstrap, kh.settings.topic_namespace, late, agreeing, erased)

    async def erased_here() -> bool:
        read = await kh.api.get(f"/repatriations/{reference}/person", params=PURPOSE, headers=kh.officer)
        return read.status_code == 410

    await eventually(erased_here, what="the erasure after the late correction")

    assert datetime.fromisoformat(mark) == assessed_at
    assert [r["reference"] for r in marked_list.json()] == [reference]
    assert sent.json()["identity_changed_at"] is None
    assert (await kh.show(reference))["identity_changed_at"] is None
    assert (await kh.show(untouched))["identity_changed_at"] is None


async def test_a_correction_queued_behind_a_request_that_never_crossed_is_withdrawn_with_it(
    countries: InstanceFactory,
) -> None:
    kh, vn = await countries(borders=("KHM",))
    _, reference = await asked_of_viet_nam(kh)
    corrected = await kh.api.put(
        f"/repatriations/{reference}/person", json=correction(names=[RIGHT_NAME]), headers=kh.officer
    )
    withdrawn = await kh.api.post(
        f"/repatriations/{reference}/withdrawal", json={"reason": "return-declined"}, headers=kh.officer
    )
    await vn.open_border()
    # The courier sends in order: once a later return has arrived, the withdrawn one was passed over.
    _, later = await asked_of_viet_nam(kh)
    await vn.reached(later, "requested")

    assert (corrected.status_code, withdrawn.status_code) == (200, 200)
    assert [(m["kind"], m["delivery"]) for m in (await kh.show(reference))["messages"]] == [
        ("return-request", "withdrawn"),
        ("identity-correction", "withdrawn"),
    ]
    assert await vn.state_of(reference) is None


async def test_a_correction_queued_behind_a_request_the_counterpart_holds_crosses_before_the_withdrawal(
    countries: InstanceFactory,
) -> None:
    kh, vn = await countries()
    _, reference = await asked_of_viet_nam(kh)
    await vn.reached(reference, "requested")
    await vn.close_border()
    corrected = await kh.api.put(
        f"/repatriations/{reference}/person", json=correction(names=[RIGHT_NAME]), headers=kh.officer
    )
    withdrawn = await kh.api.post(
        f"/repatriations/{reference}/withdrawal", json={"reason": "consent-withdrawn"}, headers=kh.officer
    )
    await vn.open_border()
    await vn.reached(reference, "withdrawn")

    async def all_delivered() -> bool:
        return all(m["delivery"] == "delivered" for m in (await kh.show(reference))["messages"])

    await eventually(all_delivered, what="the correction and the withdrawal delivered")
    personal = "SELECT count(*) FROM sop_message WHERE kind IN ('return-request', 'identity-correction')"

    assert (corrected.status_code, withdrawn.status_code) == (200, 200)
    assert [m["kind"] for m in (await kh.show(reference))["messages"]] == [
        "return-request",
        "identity-correction",
        "withdrawal",
    ]
    for side in (kh, vn):
        assert await scalar(side.settings, personal) == 2
        assert await scalar(side.settings, personal + " AND sealed_jws IS NOT NULL") == 0, side.country


async def test_a_return_verified_before_identifications_correction_is_marked_until_withdrawn(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    case_id, reference = await asked_of_viet_nam(kh)
    await vn.reached(reference, "requested")
    await verified_by_viet_nam(kh, vn, reference)
    await publish(servers.kafka_bootstrap, kh.settings.topic_namespace, assessed_a_child(case_id, datetime.now(UTC)))

    async def marked() -> bool:
        return (await kh.show(reference))["identity_changed_at"] is not None

    await eventually(marked, what="the verified return marked by MoSVY's age assessment")
    too_late = await kh.api.put(
        f"/repatriations/{reference}/person", json=correction(GUARDIAN, is_child=True), headers=kh.officer
    )
    withdrawn = await kh.api.post(
        f"/repatriations/{reference}/withdrawal", json={"reason": "other"}, headers=kh.officer
    )

    assert (too_late.status_code, too_late.json()["type"].rsplit(":", 1)[-1]) == (409, "sop-step-not-allowed")
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["state"], withdrawn.json()["identity_changed_at"]) == ("withdrawn", None)


async def test_a_correction_that_crossed_the_verification_result_is_refused_and_a_withdrawal_still_ends_both(
    countries: InstanceFactory,
) -> None:
    kh, vn = await countries()
    _, reference = await asked_of_viet_nam(kh)
    await vn.reached(reference, "requested")
    # Viet Nam's verification result and Cambodia's correction are signed at the same place in the chain,
    # each side before it knew of the other's: each refuses the other's, and the chains part.
    await kh.close_border()
    verified = await vn.api.post(
        f"/repatriations/{reference}/verification-result",
        json=VERIFIED,
        headers=vn.officer,
    )
    assert verified.status_code == 200, verified.text
    corrected = await kh.api.put(
        f"/repatriations/{reference}/person", json=correction(names=[RIGHT_NAME]), headers=kh.officer
    )
    assert corrected.status_code == 200, corrected.text

    async def refused_there() -> bool:
        return bool((await kh.show(reference))["messages"][-1]["delivery"] == "refused")

    await eventually(refused_there, what="Cambodia's correction refused by Viet Nam")
    await kh.open_border()

    async def refused_here() -> bool:
        return bool((await vn.show(reference))["messages"][-1]["delivery"] == "refused")

    await eventually(refused_here, what="Viet Nam's verification result refused by Cambodia")
    # The officer's way out: withdraw, and ask again.
    withdrawn = await kh.api.post(
        f"/repatriations/{reference}/withdrawal", json={"reason": "other"}, headers=kh.officer
    )
    await vn.reached(reference, "withdrawn")
    read_there = await vn.api.get(f"/repatriations/{reference}/person", params=PURPOSE, headers=vn.officer)

    assert withdrawn.json()["state"] == "withdrawn"
    assert (corrected.json()["messages"][-1]["kind"], read_there.status_code) == ("identity-correction", 410)
