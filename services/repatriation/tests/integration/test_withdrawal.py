"""A person may change their mind until the handover: the destination country withdraws the return,
the counterpart is told, and neither side keeps the person's data; what never crossed never does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from spean_contracts.events import ConsentRecorded
from spean_contracts.fields import local_today
from spean_contracts.registry import IDENTIFICATION
from spean_contracts.vocabulary import Agency, ConsentPurpose
from spean_kit.topics import group_caught_up
from spean_local.endpoints import Endpoints
from tests.support.app import eventually, scalar
from tests.support.kafka import publish
from tests.support.repatriation import InstanceFactory, asked_of_viet_nam, published_data, return_request

WITHDRAWN = "repatriation.withdrawn"
VERIFIED = {"verified": True, "nationality_confirmed": True, "victim_status_confirmed": True}
PURPOSE = {"purpose": "prepare the family tracing"}
ERASED_REQUESTS = "SELECT count(*) FROM sop_message WHERE kind = 'return-request' AND sealed_jws IS NULL"


async def test_a_withdrawn_return_ends_on_both_sides_and_neither_keeps_the_persons_data(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    asked = return_request(origin="VNM", claimed_nationality="VNM")
    reference = (await kh.api.post("/repatriations", json=asked, headers=kh.officer)).json()["reference"]
    await vn.reached(reference, "requested")
    read_before = await vn.api.get(f"/repatriations/{reference}/person", params=PURPOSE, headers=vn.officer)
    verified = await vn.api.post(f"/repatriations/{reference}/verification-result", json=VERIFIED, headers=vn.officer)
    assert verified.status_code == 200, verified.text
    await kh.reached(reference, "verified")

    by_origin = await vn.api.post(
        f"/repatriations/{reference}/withdrawal", json={"reason": "return-declined"}, headers=vn.officer
    )
    withdrawn = await kh.api.post(
        f"/repatriations/{reference}/withdrawal", json={"reason": "consent-withdrawn"}, headers=kh.officer
    )
    await vn.reached(reference, "withdrawn")
    accepted_after = await vn.api.post(
        f"/repatriations/{reference}/acceptance", json={"travel_document_issued": True}, headers=vn.officer
    )
    asked_again = await kh.api.post("/repatriations", json=asked, headers=kh.officer)

    assert read_before.status_code == 200
    assert by_origin.status_code == 409
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["state"] == "withdrawn"
    assert withdrawn.json()["messages"][-1]["kind"] == "withdrawal"
    for instance in (kh, vn):
        read = await instance.api.get(f"/repatriations/{reference}/person", params=PURPOSE, headers=instance.officer)
        assert read.status_code == 410
        assert await scalar(instance.settings, ERASED_REQUESTS) == 1
        assert [e["reason"] for e in await published_data(servers, instance, WITHDRAWN)] == ["consent-withdrawn"]
    assert accepted_after.status_code == 409
    assert accepted_after.json()["type"].endswith("sop-step-not-allowed")
    assert asked_again.status_code == 201, asked_again.text


async def test_a_return_withdrawn_before_the_counterpart_received_it_never_crosses_the_border(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries(borders=("KHM",))
    unsent = (
        await kh.api.post(
            "/repatriations", json=return_request(origin="VNM", claimed_nationality="VNM"), headers=kh.officer
        )
    ).json()["reference"]

    withdrawn = await kh.api.post(
        f"/repatriations/{unsent}/withdrawal", json={"reason": "consent-withdrawn"}, headers=kh.officer
    )
    await vn.open_border()
    # The courier sends in order: once a later return has arrived, the withdrawn one was passed over.
    later = (
        await kh.api.post(
            "/repatriations", json=return_request(origin="VNM", claimed_nationality="VNM"), headers=kh.officer
        )
    ).json()["reference"]
    await vn.reached(later, "requested")

    assert withdrawn.status_code == 200, withdrawn.text
    assert [(m["kind"], m["delivery"]) for m in withdrawn.json()["messages"]] == [("return-request", "withdrawn")]
    assert await vn.state_of(unsent) is None
    assert await scalar(vn.settings, "SELECT count(*) FROM sop_message") == 1
    assert await scalar(kh.settings, ERASED_REQUESTS) == 1
    assert [e["repatriation_id"] for e in await published_data(servers, kh, WITHDRAWN)] == [unsent]


async def test_a_person_withdrawn_from_a_scheduled_handover_is_left_out_of_its_minutes(
    countries: InstanceFactory,
) -> None:
    kh, vn = await countries()
    references = []
    for _ in range(2):
        asked = return_request(origin="VNM", claimed_nationality="VNM")
        references.append((await kh.api.post("/repatriations", json=asked, headers=kh.officer)).json()["reference"])
    for reference in references:
        await vn.reached(reference, "requested")
        await vn.api.post(f"/repatriations/{reference}/verification-result", json=VERIFIED, headers=vn.officer)
        await vn.api.post(
            f"/repatriations/{reference}/acceptance", json={"travel_document_issued": True}, headers=vn.officer
        )
        await kh.reached(reference, "accepted")
    handover_day = (local_today() + timedelta(days=3)).isoformat()
    proposal = await kh.api.post(
        "/handovers",
        json={"references": references, "border_gate": "xa-mat", "handover_date": handover_day},
        headers=kh.officer,
    )
    handover_id = proposal.json()["handover_id"]
    stays, leaves = references
    await vn.reached(leaves, "handover-scheduled")

    withdrawn = await kh.api.post(
        f"/repatriations/{leaves}/withdrawal", json={"reason": "return-declined"}, headers=kh.officer
    )
    await vn.reached(leaves, "withdrawn")
    minutes = await kh.api.post(
        f"/handovers/{handover_id}/minutes", json={"handed_over_at": datetime.now(UTC).isoformat()}, headers=kh.officer
    )
    await vn.reached(stays, "handed-over")

    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["handover_id"] is None
    assert minutes.status_code == 200, minutes.text
    assert minutes.json()["references"] == [stays]
    assert await vn.state_of(leaves) == "withdrawn"


async def test_consent_withdrawn_in_identification_ends_a_return_asked_with_an_earlier_consent(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    asked = return_request(origin="VNM", claimed_nationality="VNM")  # consent given on 1 November
    reference = (await kh.api.post("/repatriations", json=asked, headers=kh.officer)).json()["reference"]
    await vn.reached(reference, "requested")

    def consent(purpose: ConsentPurpose, at: datetime) -> ConsentRecorded:
        return ConsentRecorded(
            case_id=asked["case_id"], purpose=purpose, given=False, agency=Agency.MOSVY, recorded_at=at
        )

    namespace = kh.settings.topic_namespace
    before_the_request = consent(ConsentPurpose.SHARING_CROSS_BORDER, datetime(2026, 10, 30, tzinfo=UTC))
    another_purpose = consent(ConsentPurpose.SHARING_AGENCIES, datetime.now(UTC))
    await publish(servers.kafka_bootstrap, namespace, before_the_request, another_purpose)

    async def consumed() -> bool:
        return await group_caught_up(
            servers.kafka_bootstrap, kh.settings.consumer_group, [namespace + IDENTIFICATION.name]
        )

    await eventually(consumed, what="Cambodia's repatriation reading identification's consents")
    state_after_those = await kh.state_of(reference)
    await publish(servers.kafka_bootstrap, namespace, consent(ConsentPurpose.SHARING_CROSS_BORDER, datetime.now(UTC)))
    await vn.reached(reference, "withdrawn")

    assert state_after_those == "requested"
    assert await kh.state_of(reference) == "withdrawn"
    assert [e["reason"] for e in await published_data(servers, kh, WITHDRAWN)] == ["consent-withdrawn"]


async def test_a_withdrawal_that_crossed_the_counterparts_verification_still_ends_the_return_on_both_sides(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    _, reference = await asked_of_viet_nam(kh)
    await vn.reached(reference, "requested")
    # Cambodia's listener is down: Viet Nam's verification result waits in its outbox while the person, in
    # Cambodia, withdraws her consent. Both messages take the same place in the case's chain.
    await kh.close_border()
    verified = await vn.api.post(f"/repatriations/{reference}/verification-result", json=VERIFIED, headers=vn.officer)
    assert verified.status_code == 200, verified.text
    withdrawn = await kh.api.post(
        f"/repatriations/{reference}/withdrawal", json={"reason": "consent-withdrawn"}, headers=kh.officer
    )
    assert withdrawn.status_code == 200, withdrawn.text
    await vn.reached(reference, "withdrawn")
    await kh.open_border()

    async def verification_refused() -> bool:
        return bool([m["delivery"] for m in (await vn.show(reference))["messages"]][-2] == "refused")

    await eventually(verification_refused, what="Viet Nam's verification result refused by Cambodia")
    read_there = await vn.api.get(f"/repatriations/{reference}/person", params=PURPOSE, headers=vn.officer)
    # The operators' alert counts it: the metric its rule reads, with the labels it groups by.
    counted = ('counterpart="KHM"', 'kind="verification-result"', 'reason="broken-chain"', 'service_name="')

    async def refusal_counted() -> bool:
        async with httpx.AsyncClient() as client:
            exposition = (await client.get(servers.metrics_url)).text
        return any(
            line.startswith("spean_crossborder_refused_total{") and all(label in line for label in counted)
            for line in exposition.splitlines()
        )

    await eventually(refusal_counted, what="the refusal counted for the operators' alert")

    assert [m["kind"] for m in (await vn.show(reference))["messages"]] == [
        "return-request",
        "verification-result",
        "withdrawal",
    ]
    assert await kh.state_of(reference) == "withdrawn"
    assert read_there.status_code == 410, "Viet Nam erased her data"
