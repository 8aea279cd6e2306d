"""The full SOP handshake between Cambodia's and Viet Nam's instances, in both directions, with each
country's real Keycloak tokens and mutual TLS, ending in `case.repatriated` on Kafka."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from spean_contracts import from_kafka_record
from spean_contracts.fields import local_today
from spean_contracts.registry import REPATRIATION
from spean_kit.replay import read_topic
from spean_local.endpoints import Endpoints
from tests.support.app import broken, eventually
from tests.support.repatriation import CONSENT, Instance, InstanceFactory, asked_of_viet_nam, return_request


async def case_events(servers: Endpoints, instance: Instance) -> list[tuple[str, dict[str, Any]]]:
    records = await read_topic(servers.kafka_bootstrap, instance.settings.topic_namespace + REPATRIATION.name)
    decoded = [from_kafka_record(r.value, r.headers) for r in records]
    return [
        (event.type.removeprefix("kh.spean.").removesuffix(".v1"), event.data.model_dump(mode="json"))
        for event in decoded
    ]


async def test_viet_nam_returns_a_cambodian_and_both_sides_hold_the_same_chain(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    handover_day = (local_today() + timedelta(days=5)).isoformat()

    requested = await vn.api.post("/repatriations", json=return_request(origin="KHM"), headers=vn.officer)
    assert requested.status_code == 201, requested.text
    reference = requested.json()["reference"]
    await kh.reached(reference, "requested")

    for path, body in [
        ("verification-request", {"needs": ["family-contact"]}),
        ("verification-result", {"verified": True, "nationality_confirmed": True, "victim_status_confirmed": True}),
        ("acceptance", {"travel_document_issued": True}),
    ]:
        answer = await kh.api.post(f"/repatriations/{reference}/{path}", json=body, headers=kh.officer)
        assert answer.status_code == 200, answer.text
    await vn.reached(reference, "accepted")

    proposal = await vn.api.post(
        "/handovers",
        json={"references": [reference], "border_gate": "moc-bai-bavet", "handover_date": handover_day, "escorts": 2},
        headers=vn.officer,
    )
    assert proposal.status_code == 201, proposal.text
    handover_id = proposal.json()["handover_id"]
    await kh.reached(reference, "handover-scheduled")
    minutes = await vn.api.post(
        f"/handovers/{handover_id}/minutes", json={"handed_over_at": datetime.now(UTC).isoformat()}, headers=vn.officer
    )
    assert minutes.status_code == 200, minutes.text
    await kh.reached(reference, "handed-over")
    certificate = await kh.api.post(
        f"/handovers/{handover_id}/certificate", json={"issued_on": local_today().isoformat()}, headers=kh.officer
    )
    assert certificate.status_code == 200, certificate.text
    for step in ("reception", "reintegration"):
        assert (
            await kh.api.post(f"/repatriations/{reference}/local-steps/{step}", headers=kh.officer)
        ).status_code == 200
    assert (
        await kh.api.post(f"/repatriations/{reference}/feedback", json={"outcome": "reintegrated"}, headers=kh.officer)
    ).status_code == 200
    await vn.reached(reference, "closed")

    kh_chain, vn_chain = (await kh.show(reference))["messages"], (await vn.show(reference))["messages"]
    assert [m["digest"] for m in kh_chain] == [m["digest"] for m in vn_chain]
    assert [m["kind"] for m in kh_chain] == [
        "return-request",
        "verification-request",
        "verification-result",
        "acceptance",
        "handover-proposal",
        "handover-minutes",
        "return-certificate",
        "feedback",
    ]
    assert {m["delivery"] for m in kh_chain if m["direction"] == "out"} == {"delivered"}
    assert {m["delivery"] for m in vn_chain if m["direction"] == "out"} == {"delivered"}

    kh_case = (await kh.show(reference))["case_id"]
    events = await case_events(servers, kh)
    assert [kind for kind, data in events if data["case_id"] == kh_case] == [
        "repatriation.requested",
        "repatriation.verified",
        "repatriation.accepted",
        "repatriation.handover-scheduled",
        "repatriation.handed-over",
        "case.repatriated",
    ]
    repatriated = next(data for kind, data in events if kind == "case.repatriated")
    assert (repatriated["from_country"], repatriated["to_country"]) == ("VNM", "KHM")
    assert repatriated["border_gate"] == "moc-bai-bavet"


async def test_cambodia_returns_two_vietnamese_in_one_signed_handover_and_a_child_only_with_safeguards(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    adult = await kh.api.post(
        "/repatriations", json=return_request(origin="VNM", claimed_nationality="VNM"), headers=kh.officer
    )
    child_request = return_request(origin="VNM", claimed_nationality="VNM", is_child=True, birth_date="2011-06-01")
    as_an_adult = await kh.api.post(
        "/repatriations", json=return_request(origin="VNM", birth_date="2011-06-01"), headers=kh.officer
    )
    on_the_childs_word = await kh.api.post("/repatriations", json=child_request, headers=kh.officer)
    child = await kh.api.post(
        "/repatriations", json={**child_request, "consent": {**CONSENT, "given_by": "guardian"}}, headers=kh.officer
    )
    assert as_an_adult.status_code == 422
    assert broken(as_an_adult) == [("body.person.is_child", "child_by_age")]
    # Refused before it was signed, the first request left no return of the case under way.
    assert on_the_childs_word.status_code == 409
    assert on_the_childs_word.json()["type"].endswith("sop-safeguards-missing")
    assert broken(on_the_childs_word) == [("body.consent.given_by", "safeguards_missing")]
    assert child.status_code == 201, child.text
    references = [adult.json()["reference"], child.json()["reference"]]
    verified = {"verified": True, "nationality_confirmed": True, "victim_status_confirmed": True}
    for reference in references:
        await vn.reached(reference, "requested")
        assert (
            await vn.api.post(f"/repatriations/{reference}/verification-result", json=verified, headers=vn.officer)
        ).status_code == 200

    unsafe = await vn.api.post(
        f"/repatriations/{references[1]}/acceptance", json={"travel_document_issued": True}, headers=vn.officer
    )
    assert unsafe.status_code == 409
    assert unsafe.json()["type"].endswith("sop-safeguards-missing")
    assert broken(unsafe) == [("body.best_interest_assessment", "safeguards_missing")]
    assert (await vn.show(references[1]))["state"] == "verified"
    assessment = {"completed_on": "2026-11-10", "by_agency": "VN-MOLISA", "return_in_best_interest": True}
    safeguards = {
        "travel_document_issued": True,
        "best_interest_assessment": assessment,
        "carer_agreement": {"agreed_on": "2026-11-12", "carer_relationship": "parent"},
    }
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    assessed_ahead = {**safeguards, "best_interest_assessment": {**assessment, "completed_on": tomorrow}}
    ahead = await vn.api.post(f"/repatriations/{references[1]}/acceptance", json=assessed_ahead, headers=vn.officer)
    assert ahead.status_code == 422, ahead.text
    assert broken(ahead) == [("body.best_interest_assessment.completed_on", "date_range")]
    for reference, body in zip(references, [{"travel_document_issued": True}, safeguards], strict=True):
        answer = await vn.api.post(f"/repatriations/{reference}/acceptance", json=body, headers=vn.officer)
        assert answer.status_code == 200, answer.text
        await kh.reached(reference, "accepted")

    too_soon = await kh.api.post(
        "/handovers",
        json={"references": references, "border_gate": "xa-mat", "handover_date": local_today().isoformat()},
        headers=kh.officer,
    )
    assert too_soon.status_code == 409
    assert too_soon.json()["type"].endswith("sop-notice-too-short")
    assert broken(too_soon) == [("body.handover_date", "notice_too_short")]
    proposal = await kh.api.post(
        "/handovers",
        json={
            "references": references,
            "border_gate": "xa-mat",
            "handover_date": (local_today() + timedelta(days=3)).isoformat(),
        },
        headers=kh.officer,
    )
    assert proposal.status_code == 201, proposal.text
    for reference in references:
        await vn.reached(reference, "handover-scheduled")
    handover_id = proposal.json()["handover_id"]
    before_proposal = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    early = await kh.api.post(
        f"/handovers/{handover_id}/minutes", json={"handed_over_at": before_proposal}, headers=kh.officer
    )
    assert early.status_code == 409, early.text
    assert broken(early) == [("body.handed_over_at", "before_proposal")]
    minutes = await kh.api.post(
        f"/handovers/{handover_id}/minutes", json={"handed_over_at": datetime.now(UTC).isoformat()}, headers=kh.officer
    )
    assert sorted(minutes.json()["references"]) == sorted(references)
    for reference in references:
        await vn.reached(reference, "handed-over")
    certificates = [
        await vn.api.post(f"/handovers/{handover_id}/certificate", json={"issued_on": day}, headers=vn.officer)
        for day in ((local_today() - timedelta(days=1)).isoformat(), tomorrow, local_today().isoformat())
    ]
    assert [(a.status_code, broken(a)) for a in certificates[:2]] == [
        (409, [("body.issued_on", "before_handover")]),
        (422, [("body.issued_on", "date_range")]),
    ]
    assert certificates[2].status_code == 200, certificates[2].text
    for reference in references:
        await kh.reached(reference, "certified")

    shared = {m["message_id"] for m in (await kh.show(references[0]))["messages"]} & {
        m["message_id"] for m in (await kh.show(references[1]))["messages"]
    }
    assert len(shared) == 3  # the proposal, the minutes and the certificates: signed once for the whole batch
    events = await case_events(servers, kh)
    repatriated = [data for kind, data in events if kind == "case.repatriated"]
    assert sorted(d["repatriation_id"] for d in repatriated) == sorted(references)
    assert {(d["from_country"], d["to_country"]) for d in repatriated} == {("KHM", "VNM")}
    scheduled = [data for kind, data in events if kind == "repatriation.handover-scheduled"]
    assert {d["batch_size"] for d in scheduled} == {2}


async def _accepted_by_viet_nam(kh: Instance, vn: Instance, persons: int) -> list[str]:
    """The references of `persons` Vietnamese whose return Cambodia asked for and Viet Nam accepted."""
    references = [(await asked_of_viet_nam(kh))[1] for _ in range(persons)]
    verified = {"verified": True, "nationality_confirmed": True, "victim_status_confirmed": True}
    for reference in references:
        await vn.reached(reference, "requested")
        for path, body in (("verification-result", verified), ("acceptance", {"travel_document_issued": True})):
            assert (await vn.api.post(f"/repatriations/{reference}/{path}", json=body, headers=vn.officer)).is_success
        await kh.reached(reference, "accepted")
    return references


async def test_a_handover_postponed_for_one_person_goes_on_for_the_others_and_hers_follows_later(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    references = await _accepted_by_viet_nam(kh, vn, 2)

    def handover(names: list[str], gate: str, days: int) -> dict[str, Any]:
        day = (local_today() + timedelta(days=days)).isoformat()
        return {"references": names, "border_gate": gate, "handover_date": day}

    first = await kh.api.post("/handovers", json=handover(references, "xa-mat", 3), headers=kh.officer)
    assert first.status_code == 201, first.text
    for reference in references:
        await vn.reached(reference, "handover-scheduled")
    # She fell ill: her handover moves a week on, to another gate, without verifying her again.
    too_soon = await kh.api.post("/handovers", json=handover(references[1:], "moc-bai-bavet", 2), headers=kh.officer)
    later = await kh.api.post("/handovers", json=handover(references[1:], "moc-bai-bavet", 7), headers=kh.officer)
    assert later.status_code == 201, later.text

    async def moved() -> bool:
        return bool((await vn.show(references[1]))["handover_id"] == later.json()["handover_id"])

    await eventually(moved, what="Viet Nam knows her handover moved")
    now = {"handed_over_at": datetime.now(UTC).isoformat()}
    minutes = await kh.api.post(f"/handovers/{first.json()['handover_id']}/minutes", json=now, headers=kh.officer)
    await vn.reached(references[0], "handed-over")
    waiting = await vn.show(references[1])
    now = {"handed_over_at": datetime.now(UTC).isoformat()}
    hers = await kh.api.post(f"/handovers/{later.json()['handover_id']}/minutes", json=now, headers=kh.officer)
    await vn.reached(references[1], "handed-over")
    scheduled = [d for kind, d in await case_events(servers, vn) if kind == "repatriation.handover-scheduled"]

    assert broken(too_soon) == [("body.handover_date", "notice_too_short")]
    assert minutes.json()["references"] == references[:1]
    assert (waiting["state"], waiting["border_gate"]) == ("handover-scheduled", "moc-bai-bavet")
    assert hers.json()["references"] == references[1:]
    assert sorted((d["repatriation_id"], d["border_gate"]) for d in scheduled) == sorted(
        [(references[0], "xa-mat"), (references[1], "xa-mat"), (references[1], "moc-bai-bavet")]
    )


async def test_a_handover_proposed_again_for_the_same_persons_is_the_one_in_force_and_crosses_once(
    countries: InstanceFactory,
) -> None:
    """An officer whose proposal's answer was lost sends it again, and clicks twice more at once: Viet Nam
    receives one proposal. Proposed for one of the two persons alone, the same day is a new handover."""
    kh, vn = await countries()
    references = await _accepted_by_viet_nam(kh, vn, 2)
    day = (local_today() + timedelta(days=5)).isoformat()
    proposal = {"references": references, "border_gate": "xa-mat", "handover_date": day, "escorts": 2}

    first = await kh.api.post("/handovers", json=proposal, headers=kh.officer)
    again = [
        first,
        *await asyncio.gather(*(kh.api.post("/handovers", json=proposal, headers=kh.officer) for _ in range(3))),
    ]
    more_escorts = await kh.api.post("/handovers", json={**proposal, "escorts": 3}, headers=kh.officer)

    async def told() -> bool:
        return bool((await vn.show(references[0]))["handover_id"] == more_escorts.json()["handover_id"])

    await eventually(told, what="Viet Nam holds the proposal with three escorts")
    alone = await kh.api.post("/handovers", json={**proposal, "references": references[1:]}, headers=kh.officer)
    received = [m["kind"] for m in (await vn.show(references[0]))["messages"] if m["kind"] == "handover-proposal"]

    assert [answer.status_code for answer in again] == [201] * 4, [answer.text for answer in again]
    assert {(answer.json()["handover_id"], answer.json()["message_id"]) for answer in again} == {
        (first.json()["handover_id"], first.json()["message_id"])
    }
    assert more_escorts.status_code == 201
    assert more_escorts.json()["handover_id"] != first.json()["handover_id"], "another escort is a new proposal"
    assert received == ["handover-proposal"] * 2, "the first proposal and the one with three escorts"
    assert alone.status_code == 201
    assert alone.json()["handover_id"] != more_escorts.json()["handover_id"]


async def test_a_return_asked_twice_reaches_the_counterpart_once_and_may_be_asked_again_once_refused(
    countries: InstanceFactory,
) -> None:
    kh, vn = await countries()
    asked = return_request(origin="VNM", claimed_nationality="VNM")

    first = await kh.api.post("/repatriations", json=asked, headers=kh.officer)
    again = await kh.api.post("/repatriations", json=asked, headers=kh.officer)

    assert first.status_code == 201, first.text
    reference = first.json()["reference"]
    assert again.status_code == 409, again.text
    assert (again.json()["reference"], again.json()["current"]) == (reference, "requested")
    await vn.reached(reference, "requested")
    assert [r["reference"] for r in (await vn.api.get("/repatriations", headers=vn.officer)).json()] == [reference]

    refused = await vn.api.post(
        f"/repatriations/{reference}/refusal", json={"reason": "identity-not-verified"}, headers=vn.officer
    )
    assert refused.status_code == 200, refused.text
    await kh.reached(reference, "refused")
    anew = await kh.api.post("/repatriations", json=asked, headers=kh.officer)
    assert anew.status_code == 201, anew.text
    assert anew.json()["reference"] != reference


async def test_a_return_asked_twice_at_the_same_moment_is_started_once(countries: InstanceFactory) -> None:
    kh, _ = await countries(borders=())
    asked = return_request(origin="VNM", claimed_nationality="VNM")

    answers = await asyncio.gather(*[kh.api.post("/repatriations", json=asked, headers=kh.officer) for _ in range(4)])

    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    assert len((await kh.api.get("/repatriations", headers=kh.officer)).json()) == 1


async def test_returns_are_listed_a_page_at_a_time_each_with_its_chain(countries: InstanceFactory) -> None:
    kh, _ = await countries(borders=())
    asked = [
        await kh.api.post(
            "/repatriations", json=return_request(origin="VNM", claimed_nationality="VNM"), headers=kh.officer
        )
        for _ in range(3)
    ]

    first = await kh.api.get("/repatriations", params={"limit": 2}, headers=kh.officer)
    second = await kh.api.get(first.links["next"]["url"], headers=kh.officer)

    assert [a.status_code for a in asked] == [201, 201, 201]
    listed = first.json() + second.json()
    assert [r["reference"] for r in listed] == [a.json()["reference"] for a in asked]
    assert [[m["kind"] for m in r["messages"]] for r in listed] == [
        [m["kind"] for m in a.json()["messages"]] for a in asked
    ]
    assert all(r["messages"] for r in listed)
    assert "next" not in second.links
