"""An operator follows a case in the trace store: a screening sent by a ministry system that carries
its own trace context is, in Zipkin's own query API, one trace tree from the HTTP request through the
outbox publish to the referral and registry consumers."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import httpx

from spean_local.endpoints import Endpoints
from tests.support.app import eventually
from tests.support.platform import Platform, screening

SCREENING = screening("Trace Example")


async def test_a_screening_is_one_trace_across_services_in_the_trace_store(
    platform: Platform, machine_token: Callable[[str], str], servers: Endpoints
) -> None:
    trace_id = secrets.token_hex(16)
    headers = {
        "Authorization": f"Bearer {machine_token('poipet-tc-system')}",
        "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01",
    }
    screened = await platform.identification.post("/screenings", json=SCREENING, headers=headers)
    assert screened.status_code == 201, screened.text

    spans: list[dict[str, Any]] = []
    wanted = {
        ("spean-identification", "SERVER"),
        ("spean-identification", "PRODUCER"),
        ("spean-referral", "CONSUMER"),
        ("spean-registry", "CONSUMER"),
    }

    async def whole_trace_stored() -> bool:
        nonlocal spans
        for app in platform.apps.values():
            app.state.telemetry.tracer_provider.force_flush()
        async with httpx.AsyncClient(base_url=servers.zipkin_url) as zipkin:
            answer = await zipkin.get(f"/api/v2/trace/{trace_id}")
        spans = answer.json() if answer.status_code == 200 else []
        return wanted <= {(s["localEndpoint"]["serviceName"], s.get("kind")) for s in spans}

    await eventually(whole_trace_stored, within=30, what="the screening's trace in Zipkin with all four services")

    by_kind = {(s["localEndpoint"]["serviceName"], s.get("kind")): s for s in spans}
    request = by_kind[("spean-identification", "SERVER")]
    assert request["tags"]["http.route"] == "/screenings"
    assert request["tags"]["http.request.method"] == "POST"
    assert request["tags"]["http.response.status_code"] == "201"
    topic = f"{platform.namespace}spean.identification.v1"
    publish = by_kind[("spean-identification", "PRODUCER")]
    assert publish["name"] == f"send {topic}"
    assert publish["tags"]["messaging.system"] == "kafka"
    assert publish["tags"]["messaging.operation.type"] == "send"
    assert publish["tags"]["messaging.destination.name"] == topic
    for consumer in ("spean-referral", "spean-registry"):
        process = by_kind[(consumer, "CONSUMER")]
        assert process["tags"]["messaging.operation.type"] == "process"
        # Each consumer's processing hangs under the publish, which hangs under the request's tree.
        assert process["parentId"] == publish["id"]
    assert any(s.get("kind") == "CLIENT" and s["localEndpoint"]["serviceName"] == "spean-identification" for s in spans)
    ids = {s["id"] for s in spans}
    assert all(s.get("parentId") in ids for s in spans if s["id"] != request["id"] and "parentId" in s)
    assert all(s["traceId"] == trace_id for s in spans)
