"""A Cambodian woman found in Viet Nam and returned through the SOP: screened on arrival at the transit
centre (the return's reception), identified by MoSVY and referred for reintegration in the case the
return opened. The registry tells one story, from Viet Nam's request to her referral; her data, lawfully
erased, goes from every service that holds it, the return's copy included."""

from __future__ import annotations

from collections.abc import Callable

from spean_contracts.fields import local_today
from tests.support.app import eventually
from tests.support.platform import Platform, screening
from tests.support.repatriation import InstanceFactory, hand_over, return_request

PURPOSE = {"purpose": "plan the reintegration"}


async def test_a_returnee_screened_on_arrival_is_one_case_from_the_request_to_her_referral(
    platform: Platform, countries: InstanceFactory, machine_token: Callable[[str], str]
) -> None:
    kh, vn = await countries(namespaces={"KHM": platform.namespace})

    def auth(client_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {machine_token(client_id)}"}

    mosvy = auth("mosvy-case-system")
    asked = await vn.api.post("/repatriations", json=return_request(origin="KHM"), headers=vn.officer)
    assert asked.status_code == 201, asked.text
    reference = asked.json()["reference"]
    handover_id = await hand_over(vn, kh, reference)
    certificate = await kh.api.post(
        f"/handovers/{handover_id}/certificate",
        json={"issued_on": local_today().isoformat()},
        headers=kh.officer,
    )
    assert certificate.status_code == 200, certificate.text
    returned_case = (await kh.show(reference))["case_id"]

    arriving = {**screening("Sreyneang Example", encounter="repatriation"), "repatriation_id": reference}

    async def screened_on_arrival() -> bool:
        answer = await platform.identification.post("/screenings", json=arriving, headers=auth("bavet-tc-system"))
        assert answer.status_code in (201, 409), answer.text
        return answer.status_code == 201 and answer.json()["case_id"] == returned_case

    await eventually(screened_on_arrival, what="the transit centre's screening continuing the return's case")
    determination = {"outcome": "trafficking-victim", "reasons": ["deceived abroad"], "exploitation_types": ["sexual"]}
    determined = await platform.identification.post(
        f"/cases/{returned_case}/determination", json=determination, headers=mosvy
    )
    assert determined.status_code == 201, determined.text

    async def referred() -> bool:
        return (await platform.referral.get(f"/cases/{returned_case}", headers=mosvy)).status_code == 200

    await eventually(referred, what="her referral case opened in the return's case")

    expected = [
        "repatriation.requested",
        "repatriation.verified",
        "repatriation.accepted",
        "repatriation.handover-scheduled",
        "repatriation.handed-over",
        "case.repatriated",
        "identification.screening-recorded",
        "identification.determination-made",
        "case.identified",
        "referral.case-opened",
    ]

    async def told() -> list[str]:
        answer = await platform.registry.get(
            f"/cases/{returned_case}/timeline", params={"purpose": "end-to-end check"}, headers=mosvy
        )
        entries = answer.json().get("entries", []) if answer.status_code == 200 else []
        return [e["type"].removeprefix("kh.spean.").removesuffix(".v1") for e in entries]

    async def one_story() -> bool:
        return set(expected) <= set(await told())

    await eventually(one_story, within=60, what="the return and the screening in one timeline")
    await kh.reached(reference, "received")
    before = await kh.api.get(f"/repatriations/{reference}/person", params=PURPOSE, headers=kh.officer)
    erased = await platform.identification.delete(
        f"/cases/{returned_case}/personal-data",
        params={"legal_basis": "the person's request under the 2009 minimum standards"},
        headers=mosvy,
    )
    assert erased.status_code == 204, erased.text

    async def return_copy_gone() -> bool:
        read = await kh.api.get(f"/repatriations/{reference}/person", params=PURPOSE, headers=kh.officer)
        return read.status_code == 410

    await eventually(return_copy_gone, what="the return's copy of her data erased in Cambodia")
    assert before.status_code == 200
    assert [t for t in await told() if t in expected] == expected
