"""A case's personal data lawfully erased in identification is erased here too; a return request that has
not crossed yet never does, and one the counterpart refused is withdrawn."""

from __future__ import annotations

from datetime import UTC, datetime

from spean_contracts.events import PersonalDataErased
from spean_local.endpoints import Endpoints
from tests.support.app import eventually, tamper
from tests.support.kafka import publish
from tests.support.repatriation import Instance, InstanceFactory, asked_of_viet_nam

PURPOSE = {"purpose": "prepare the family tracing"}


async def person_read(instance: Instance, reference: str) -> int:
    read = await instance.api.get(f"/repatriations/{reference}/person", params=PURPOSE, headers=instance.officer)
    return read.status_code


async def test_an_erasure_in_identification_erases_this_sides_copy_and_the_return_goes_on(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    case_id, reference = await asked_of_viet_nam(kh)
    await vn.reached(reference, "requested")
    before = await person_read(kh, reference)

    erased = PersonalDataErased(case_id=case_id, erased_at=datetime.now(UTC))
    await publish(servers.kafka_bootstrap, kh.settings.topic_namespace, erased)

    async def gone() -> bool:
        return await person_read(kh, reference) == 410

    await eventually(gone, what="Cambodia's copy of the person erased")
    assert before == 200
    assert await kh.state_of(reference) == "requested"
    assert await person_read(vn, reference) == 200


async def test_an_erasure_before_the_request_crossed_withdraws_it_unsent(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries(borders=("KHM",))
    case_id, reference = await asked_of_viet_nam(kh)

    erased = PersonalDataErased(case_id=case_id, erased_at=datetime.now(UTC))
    await publish(servers.kafka_bootstrap, kh.settings.topic_namespace, erased)
    await kh.reached(reference, "withdrawn")
    await vn.open_border()
    # The courier sends in order: once a later return has arrived, the erased one was passed over.
    _, later = await asked_of_viet_nam(kh)
    await vn.reached(later, "requested")

    assert [(m["kind"], m["delivery"]) for m in (await kh.show(reference))["messages"]] == [
        ("return-request", "withdrawn")
    ]
    assert await person_read(kh, reference) == 410
    assert await vn.state_of(reference) is None


async def test_an_erasure_after_the_counterpart_refused_the_request_withdraws_it_here(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, _ = await countries(borders=("KHM",))
    case_id, reference = await asked_of_viet_nam(kh)
    # Viet Nam refused the request with a signed error (the two sides' rules differ): it holds nothing of her.
    await tamper(kh.settings, "UPDATE crossborder_outbox SET status = 'refused', refusal_reason = 'malformed'")

    erased = PersonalDataErased(case_id=case_id, erased_at=datetime.now(UTC))
    await publish(servers.kafka_bootstrap, kh.settings.topic_namespace, erased)
    await kh.reached(reference, "withdrawn")

    assert [(m["kind"], m["delivery"]) for m in (await kh.show(reference))["messages"]] == [
        ("return-request", "refused")
    ]
    assert await person_read(kh, reference) == 410
