"""Every service's POST is safe to send again under an Idempotency-Key: recorded once, the first answer
given again; a key is the agency's, and serves one request only."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint

from spean_kit import retries
from spean_local.pytest_plugin import TokenFactory
from tests.kit.conftest import SettingsFactory
from tests.kit.sample.app import build
from tests.support.app import running, scalar, tamper


def case(case_id: str, **changes: Any) -> dict[str, Any]:
    return {"case_id": case_id, "province": "KH-1", "sex": "female", "age_band": "18-24", **changes}


def keyed(token: str, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": key}


async def test_a_request_sent_again_with_its_key_is_recorded_once_and_answered_as_first(
    make_settings: SettingsFactory, moi_token: Callable[[], str]
) -> None:
    settings = await make_settings()
    headers = keyed(moi_token(), "moi-0001")
    async with running(build(settings, background=False)) as client:
        first = await client.post("/cases", json=case("case-retried-0001"), headers=headers)
        again = await client.post("/cases", json=case("case-retried-0001"), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() == {"case_id": "case-retried-0001", "recorded_by": "MOI-AHTJP"}
    assert (first.headers.get("Idempotent-Replayed"), again.headers.get("Idempotent-Replayed")) == (None, "true")
    assert await scalar(settings, "SELECT count(*) FROM outbox") == 1


async def test_requests_sent_at_once_with_one_key_are_recorded_once_and_all_given_its_answer(
    make_settings: SettingsFactory, moi_token: Callable[[], str]
) -> None:
    """A client that timed out sends again while the first is still running: the twins' commits meet at
    the key, and every caller is given the one answer."""
    settings = await make_settings()
    headers = keyed(moi_token(), "moi-0002")
    async with running(build(settings, background=False)) as client:
        answers = await asyncio.gather(
            *(client.post("/cases", json=case("case-at-once-0001"), headers=headers) for _ in range(6))
        )
    assert [answer.status_code for answer in answers] == [201] * 6
    assert sum(answer.headers.get("Idempotent-Replayed") == "true" for answer in answers) == 5
    assert await scalar(settings, "SELECT count(*) FROM outbox") == 1


async def test_a_key_is_refused_with_another_request_and_kept_by_nothing_a_refusal_recorded(
    make_settings: SettingsFactory, moi_token: Callable[[], str]
) -> None:
    settings = await make_settings()
    headers = keyed(moi_token(), "moi-0003")
    async with running(build(settings, background=False)) as client:
        refused = await client.post("/cases", json=case("case-key-0001", sex="?"), headers=headers)
        # The refusal recorded nothing, so the key is free for the request put right.
        mended = await client.post("/cases", json=case("case-key-0001"), headers=headers)
        other = await client.post("/cases", json=case("case-key-0002"), headers=headers)
        too_long = await client.post("/cases", json=case("case-key-0003"), headers=keyed(moi_token(), "k" * 201))
        unkeepable = await client.post("/cases", json=case("case-key-0004"), headers=keyed(moi_token(), "k\x00"))
    assert (refused.status_code, mended.status_code) == (422, 201)
    assert other.status_code == 422
    assert [(e["path"], e["rule"]) for e in other.json()["errors"]] == [
        ("header.Idempotency-Key", "idempotency_key_reused")
    ]
    assert too_long.status_code == 422
    assert [(e["path"], e["rule"]) for e in too_long.json()["errors"]] == [
        ("header.Idempotency-Key", "string_too_long")
    ]
    assert [(e["path"], e["rule"]) for e in unkeepable.json()["errors"]] == [
        ("header.Idempotency-Key", "string_nul_character")
    ]
    assert await scalar(settings, "SELECT string_agg(case_id, ',') FROM sample_case") == "case-key-0001"


async def test_one_key_of_two_agencies_is_two_requests(
    make_settings: SettingsFactory, moi_token: Callable[[], str], machine_token: TokenFactory
) -> None:
    settings = await make_settings()
    async with running(build(settings, background=False)) as client:
        moi = await client.post("/cases", json=case("case-moi-0001"), headers=keyed(moi_token(), "shared-0001"))
        poipet = await client.post(
            "/cases", json=case("case-poipet-0001"), headers=keyed(machine_token("poipet-tc-system"), "shared-0001")
        )
    assert (moi.status_code, poipet.status_code) == (201, 201)
    assert poipet.headers.get("Idempotent-Replayed") is None
    assert await scalar(settings, "SELECT count(*) FROM sample_case") == 2


async def test_a_request_whose_answer_was_not_kept_is_not_recorded_again(
    make_settings: SettingsFactory, moi_token: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service stopped between a request's commit and keeping its answer: sent again, it is told to
    come back or read what was recorded, not recorded a second time."""
    monkeypatch.setattr(retries, "ANSWER_WAIT_SECONDS", 0.2)
    settings = await make_settings()
    headers = keyed(moi_token(), "moi-0004")
    async with running(build(settings, background=False)) as client:
        await client.post("/cases", json=case("case-lost-0001"), headers=headers)
        await tamper(settings, "UPDATE idempotent_request SET status = NULL, body = NULL")
        again = await client.post("/cases", json=case("case-lost-0001"), headers=headers)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:kh:spean:problem:idempotency-key-in-use"
    assert again.headers["Retry-After"] == "1"
    assert await scalar(settings, "SELECT count(*) FROM outbox") == 1


async def test_operators_count_requests_sent_again_by_how_they_were_answered(
    make_settings: SettingsFactory, moi_token: Callable[[], str]
) -> None:
    """Many repeats say that callers' answers are lost on the way; the count names no case and no caller."""
    settings = await make_settings()
    metrics = InMemoryMetricReader()
    headers = keyed(moi_token(), "moi-0005")
    async with running(build(settings, background=False, metric_readers=(metrics,))) as client:
        for body in (case("case-counted-0001"), case("case-counted-0001"), case("case-counted-0001"), case("x-0002")):
            await client.post("/cases", json=body, headers=headers)
    data = metrics.get_metrics_data()
    assert data is not None
    counted = {
        str((point.attributes or {})["outcome"]): point.value
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "spean.http.repeated"
        for point in metric.data.data_points
        if isinstance(point, NumberDataPoint)
    }
    assert counted == {"replayed": 2, "key-reused": 1}
