"""A counterpart down for the middle of the exchange loses and doubles nothing, nor do two replicas'
couriers; a listener stops within a pod's grace period; deadlines that pass are announced; nothing about
the person reaches Kafka."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta

import httpx
import pytest

from spean_contracts.fields import INDOCHINA, local_today
from spean_contracts.registry import REPATRIATION
from spean_kit.replay import read_topic
from spean_local.endpoints import Endpoints
from spean_repatriation.app import LISTENER_STOP_SECONDS
from spean_repatriation.delivery import Courier
from tests.support.app import eventually, scalar, tamper
from tests.support.kafka import published_text
from tests.support.repatriation import (
    Instance,
    InstanceFactory,
    asked_of_viet_nam,
    hand_over,
    published_data,
    return_request,
)

BREACHED = "repatriation.deadline-breached"
VERIFIED = {"verified": True, "nationality_confirmed": True, "victim_status_confirmed": True}
# Kubernetes kills a pod still running 30 s after it was told to stop; the national API's own shutdown
# (consumers, relay, courier) needs its share of that time too.
STOPPED_WITHIN_SECONDS = 10


async def test_a_counterpart_down_mid_exchange_gets_every_step_once_when_it_returns(
    countries: InstanceFactory,
) -> None:
    kh, vn = await countries()
    reference = (
        await kh.api.post(
            "/repatriations", json=return_request(origin="VNM", claimed_nationality="VNM"), headers=kh.officer
        )
    ).json()["reference"]
    await vn.reached(reference, "requested")

    await kh.close_border()
    for path, body in [
        ("verification-request", {"needs": ["statement"]}),
        ("verification-result", VERIFIED),
        ("acceptance", {"travel_document_issued": True}),
    ]:
        assert (
            await vn.api.post(f"/repatriations/{reference}/{path}", json=body, headers=vn.officer)
        ).status_code == 200

    async def retried() -> bool:
        return int(await scalar(vn.settings, "SELECT coalesce(max(attempts), 0) FROM crossborder_outbox")) >= 3

    await eventually(retried, within=30, what="Viet Nam retrying while Cambodia is down")
    assert await kh.state_of(reference) == "requested"
    assert [m["delivery"] for m in (await vn.show(reference))["messages"][1:]] == ["pending"] * 3

    await kh.open_border()
    await kh.reached(reference, "accepted")

    async def all_delivered() -> bool:
        return {m["delivery"] for m in (await vn.show(reference))["messages"] if m["direction"] == "out"} == {
            "delivered"
        }

    await eventually(all_delivered, within=30, what="every receipt back in Viet Nam")
    kinds = [m["kind"] for m in (await kh.show(reference))["messages"]]
    assert kinds == ["return-request", "verification-request", "verification-result", "acceptance"]
    assert await scalar(kh.settings, "SELECT count(*) FROM sop_message") == 4


async def test_a_listener_told_to_stop_does_not_wait_on_a_counterparts_idle_connection(
    countries: InstanceFactory, caplog: pytest.LogCaptureFixture
) -> None:
    kh, vn = await countries()
    _, reference = await asked_of_viet_nam(kh)
    await vn.reached(reference, "requested")
    assert vn.border is not None
    assert vn.border.server_state.connections, "Cambodia's courier keeps its connection to Viet Nam open"

    with caplog.at_level(logging.INFO, logger="uvicorn.error"):
        try:
            await asyncio.wait_for(vn.close_border(), timeout=STOPPED_WITHIN_SECONDS)
        except TimeoutError:
            raise AssertionError(f"the listener was still stopping after {STOPPED_WITHIN_SECONDS} s") from None

    # An idle connection is no fault: nothing at ERROR for a log-based alert to page operators with.
    stopped = [r for r in caplog.records if r.name == "uvicorn.error" and "cut short" in r.getMessage()]
    assert [(r.levelname, r.getMessage()) for r in stopped] == [
        (
            "INFO",
            f"cross-border listener stopped after {LISTENER_STOP_SECONDS} s; "
            "0 message(s) cut short, sent again by their senders",
        )
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_two_replicas_couriers_send_a_message_once(countries: InstanceFactory) -> None:
    # Viet Nam's listener stays closed and each courier's first look found nothing: the queue waits for
    # the two couriers below, replicas of Cambodia's instance sharing its database.
    kh, _ = await countries(borders=(), delivery_poll_seconds=3600)
    asked = return_request(origin="VNM", claimed_nationality="VNM")
    assert (await kh.api.post("/repatriations", json=asked, headers=kh.officer)).status_code == 201
    posted: list[str] = []

    async def slow_counterpart(request: httpx.Request) -> httpx.Response:
        posted.append(request.url.path)
        await asyncio.sleep(0.3)
        return httpx.Response(503)

    exchange, runtime = kh.app.state.exchange, kh.app.state.runtime
    (counterpart,) = kh.settings.counterparts
    async with httpx.AsyncClient(transport=httpx.MockTransport(slow_counterpart)) as client:
        couriers = [Courier(exchange) for _ in range(2)]
        await asyncio.gather(*(courier.deliver_next(runtime, counterpart, client) for courier in couriers))

    assert posted == ["/sop/v1/messages"]
    assert await scalar(kh.settings, "SELECT attempts FROM crossborder_outbox") == 1


async def test_passed_verification_and_receipt_deadlines_are_announced_once(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, _ = await countries(borders=("KHM",), verification_working_days=0)
    kh.settings.receipt_deadline_hours = 1 / 3600
    answer = await kh.api.post(
        "/repatriations", json=return_request(origin="VNM", claimed_nationality="VNM"), headers=kh.officer
    )
    reference = answer.json()["reference"]

    async def breaches() -> list[str]:
        return sorted(d["deadline"] for d in await published_data(servers, kh, BREACHED))

    async def both() -> bool:
        return await breaches() == ["receipt", "verification"]

    await eventually(both, within=30, what="the verification and receipt deadlines announced")
    assert (await kh.show(reference))["state"] == "requested"
    await eventually(both, within=1, what="no second announcement")


async def test_a_handover_day_gone_by_without_minutes_is_announced_on_both_sides_once_per_day_set(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    _, reference = await asked_of_viet_nam(kh)
    await vn.reached(reference, "requested")
    for path, body in (("verification-result", VERIFIED), ("acceptance", {"travel_document_issued": True})):
        assert (await vn.api.post(f"/repatriations/{reference}/{path}", json=body, headers=vn.officer)).is_success
    await kh.reached(reference, "accepted")

    async def schedule(days: int) -> None:
        day = (local_today() + timedelta(days=days)).isoformat()
        handover = {"references": [reference], "border_gate": "xa-mat", "handover_date": day}
        assert (await kh.api.post("/handovers", json=handover, headers=kh.officer)).status_code == 201

        async def known() -> bool:
            return bool((await vn.show(reference))["handover_date"] == day)

        await eventually(known, what="Viet Nam knows the handover's day")

    async def missed(instance: Instance) -> list[str]:
        return [d["due_at"] for d in await published_data(servers, instance, BREACHED) if d["deadline"] == "handover"]

    async def told(times: int) -> None:
        async def both() -> bool:
            return [len(await missed(kh)), len(await missed(vn))] == [times, times]

        await eventually(both, within=30, what=f"the missed handover told {times} time(s) on both sides")

    await schedule(3)
    # The day comes and goes at the border without the minutes being signed.
    gone_by = local_today() - timedelta(days=1)
    for instance in (kh, vn):
        await tamper(instance.settings, "UPDATE repatriation SET handover_date = :day", day=gone_by)
    await told(1)
    await asyncio.sleep(1)  # five more scans, which must tell nothing more
    await told(1)
    await schedule(4)  # moved to another day, which goes by too
    for instance in (kh, vn):
        await tamper(instance.settings, "UPDATE repatriation SET handover_date = :day", day=gone_by)
    await told(2)

    assert (await missed(kh))[0] == f"{local_today().isoformat()}T00:00:00+07:00"
    assert (await kh.show(reference))["state"] == "handover-scheduled"


async def test_a_handover_day_gone_by_without_a_return_certificate_is_announced_on_both_sides_once(
    countries: InstanceFactory, servers: Endpoints
) -> None:
    kh, vn = await countries()
    _, reference = await asked_of_viet_nam(kh)
    await hand_over(kh, vn, reference)

    async def late(instance: Instance) -> list[str]:
        return [
            d["due_at"] for d in await published_data(servers, instance, BREACHED) if d["deadline"] == "certificate"
        ]

    on_the_day = [await late(kh), await late(vn)]
    # The minutes were signed yesterday at the border, and Viet Nam has issued no certificate since.
    yesterday = datetime.combine(local_today() - timedelta(days=1), time(10), INDOCHINA)
    for instance in (kh, vn):
        await tamper(instance.settings, "UPDATE repatriation SET handed_over_at = :at", at=yesterday)

    async def told() -> bool:
        return [len(await late(kh)), len(await late(vn))] == [1, 1]

    await eventually(told, within=30, what="the missing certificate told on both sides")
    await asyncio.sleep(1)  # five more scans, which must tell nothing more
    certificate = {"issued_on": local_today().isoformat()}
    handover_id = (await vn.show(reference))["handover_id"]
    issued = await vn.api.post(f"/handovers/{handover_id}/certificate", json=certificate, headers=vn.officer)

    assert on_the_day == [[], []]
    assert [await late(kh), await late(vn)] == [[f"{local_today().isoformat()}T00:00:00+07:00"]] * 2
    assert issued.status_code == 200, issued.text


async def test_nothing_about_the_person_reaches_kafka(countries: InstanceFactory, servers: Endpoints) -> None:
    kh, vn = await countries()
    body = return_request(origin="VNM", claimed_nationality="VNM", names=["Tran Thi Example"], birth_date="2001-07-15")
    reference = (await kh.api.post("/repatriations", json=body, headers=kh.officer)).json()["reference"]
    await vn.reached(reference, "requested")

    for instance in (kh, vn):
        records = await read_topic(servers.kafka_bootstrap, instance.settings.topic_namespace + REPATRIATION.name)
        published = published_text(records)
        assert reference in published
        for personal in ("Tran Thi Example", "2001-07-15", "Kampong Cham"):
            assert personal not in published
