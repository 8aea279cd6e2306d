"""The transit centre's screening of a returned person is her reception (SOP step 9), whether it comes
after the return certificate is recorded or before."""

from __future__ import annotations

from datetime import UTC, datetime

from spean_contracts import spec_for_model
from spean_contracts.events import ScreeningRecorded
from spean_contracts.fields import local_today
from spean_contracts.vocabulary import Encounter
from spean_local.endpoints import Endpoints
from tests.support.app import eventually, scalar
from tests.support.kafka import publish
from tests.support.repatriation import InstanceFactory, hand_over, return_request


async def test_a_certificate_recorded_after_the_screening_on_arrival_finds_the_return_received(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    asked = await vn.api.post("/repatriations", json=return_request(origin="KHM"), headers=vn.officer)
    assert asked.status_code == 201, asked.text
    reference = asked.json()["reference"]
    handover_id = await hand_over(vn, kh, reference)
    example = spec_for_model(ScreeningRecorded).examples[0]
    screened = ScreeningRecorded.model_validate(
        {
            **example,
            "case_id": (await kh.show(reference))["case_id"],
            "encounter": Encounter.REPATRIATION,
            "screened_at": datetime.now(UTC),
        }
    )
    await publish(servers.kafka_bootstrap, kh.settings.topic_namespace, screened)

    async def noted() -> bool:
        query = "SELECT screened_on_arrival_at IS NOT NULL FROM repatriation WHERE reference = :reference"
        return bool(await scalar(kh.settings, query, reference=reference))

    await eventually(noted, what="the screening on arrival noted in Cambodia")
    state_before_certificate = await kh.state_of(reference)
    certificate = await kh.api.post(
        f"/handovers/{handover_id}/certificate", json={"issued_on": local_today().isoformat()}, headers=kh.officer
    )

    assert certificate.status_code == 200, certificate.text
    assert state_before_certificate == "handed-over"
    assert await kh.state_of(reference) == "received"
    await vn.reached(reference, "certified")
