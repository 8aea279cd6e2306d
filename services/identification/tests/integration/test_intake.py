"""Bad input gets problem+json with field paths; repeats with an Idempotency-Key create one screening,
or one set of a bulk upload's; bulk intake answers row by row."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from spean_contracts.registry import IDENTIFICATION
from spean_identification.app import build
from spean_identification.settings import IdentificationSettings
from tests.support.app import broken, eventually, running, scalar
from tests.support.kafka import names_of, published

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]


async def test_the_same_request_twice_with_one_idempotency_key_creates_one_screening(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    headers = {**auth("moi-case-system"), "Idempotency-Key": "moi-2026-11-02-0001"}
    async with running(build(settings)) as client:
        first = await client.post("/screenings", json=screening(), headers=headers)
        second = await client.post("/screenings", json=screening(), headers=headers)
        events = names_of(await published(settings, IDENTIFICATION))
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert (first.headers.get("Idempotent-Replayed"), second.headers.get("Idempotent-Replayed")) == (None, "true")
    assert await scalar(settings, "SELECT count(*) FROM screening") == 1
    assert events == ["identification.screening-recorded"]


async def test_a_request_repeated_while_the_first_is_still_running_is_answered_once(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    """A client that timed out sends the request again while the first is still being recorded."""
    settings = await identification_settings()
    headers = {**auth("moi-case-system"), "Idempotency-Key": "moi-2026-11-02-0003"}
    async with running(build(settings)) as client:
        answers = await asyncio.gather(
            *(client.post("/screenings", json=screening(), headers=headers) for _ in range(5))
        )
    assert [answer.status_code for answer in answers] == [201] * 5
    assert len({answer.json()["case_id"] for answer in answers}) == 1
    assert sum(answer.headers.get("Idempotent-Replayed") == "true" for answer in answers) == 4
    assert await scalar(settings, "SELECT count(*) FROM screening") == 1


async def test_a_key_reused_for_another_screening_is_refused_and_records_nothing(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    headers = {**auth("moi-case-system"), "Idempotency-Key": "moi-2026-11-02-0002"}
    async with running(build(settings)) as client:
        first = await client.post("/screenings", json=screening(), headers=headers)
        other = await client.post("/screenings", json=screening(location="Poipet"), headers=headers)
        as_bulk = await client.post("/screenings/bulk", json=[screening()], headers=headers)
    assert first.status_code == 201
    for refused in (other, as_bulk):
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["path"] == "header.Idempotency-Key"
        assert refused.json()["errors"][0]["rule"] == "idempotency_key_reused"
    assert await scalar(settings, "SELECT count(*) FROM screening") == 1


async def test_invalid_screening_names_each_field_and_rule(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    body = screening(continuum="Z", indicators={"acts": ["kidnapping"]})
    body["person"] = {**body["person"], "birth_date": None, "sex": "x"}
    async with running(build(settings)) as client:
        answer = await client.post("/screenings", json=body, headers=auth("moi-case-system"))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert {(e["path"], e["rule"]) for e in answer.json()["errors"]} == {
        ("body.person.sex", "enum"),
        ("body.indicators.acts[0]", "enum"),
        ("body.continuum", "enum"),
    }
    assert await scalar(settings, "SELECT count(*) FROM screening") == 0


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


async def test_bulk_csv_keeps_the_good_rows_reports_the_bad_ones_and_records_a_resent_upload_once(
    identification_settings: SettingsFactory, auth: Auth
) -> None:
    settings = await identification_settings()
    good = {
        "encountered_at": "2026-11-02T08:00:00+07:00",
        "encounter": "deportee-transit",
        "province": "KH-1",
        "names": "Chan Sophea",
        "birth_date": "2009-05-05",
        "estimated_age": "",
        "sex": "female",
        "nationality": "KHM",
        "acts": "transport;harbouring",
        "means": "",
        "purposes": "sexual",
        "continuum": "B",
        "presumed_child": "",
    }
    # Her papers say 26; the officer believes she is a child.
    presumed = {**good, "names": "Keo Vanna", "birth_date": "2000-01-01", "presumed_child": "yes"}
    rows = [good, {**good, "sex": "unknown-value"}, presumed, {**good, "birth_date": ""}, good]
    headers = {**auth("poipet-tc-system"), "content-type": "text/csv", "Idempotency-Key": "poipet-upload-0001"}
    async with running(build(settings)) as client:
        answer = await client.post("/screenings/bulk", content=_csv(rows), headers=headers)
        # The upload's answer was lost on the way: the office sends the file again.
        again = await client.post("/screenings/bulk", content=_csv(rows), headers=headers)
    result = answer.json()
    assert answer.status_code == again.status_code == 200
    assert again.json() == result
    assert await scalar(settings, "SELECT count(*) FROM screening") == 3
    assert (result["created"], result["failed"]) == (3, 2)
    failed = {row["row"]: row["errors"] for row in result["rows"] if row["status"] == 422}
    assert [e["path"] for e in failed[1]] == ["person.sex"]
    assert failed[3][0]["message"] == "Value error, either birth_date or estimated_age is required"
    created = [row["screening"] for row in result["rows"] if row["status"] == 201]
    assert [c["suggested_outcome"] for c in created] == ["trafficking-victim"] * 3
    assert await scalar(settings, "SELECT count(*) FROM screening WHERE is_child") == 3


async def test_a_bulk_upload_declared_as_bytes_is_refused_rather_than_let_past_the_text_rules(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    nul_in_a_name = {**screening(), "person": {**screening()["person"], "names": ["Sok\u0000Dara"]}}
    body = json.dumps([nul_in_a_name]).encode()
    async with running(build(settings)) as client:
        as_bytes = await client.post(
            "/screenings/bulk",
            content=body,
            headers={**auth("poipet-tc-system"), "Content-Type": "application/octet-stream"},
        )
        as_json = await client.post(
            "/screenings/bulk", content=body, headers={**auth("poipet-tc-system"), "Content-Type": "application/json"}
        )
    assert as_bytes.status_code == 415
    assert broken(as_bytes) == [("body", "media_type")]
    assert as_json.status_code == 422
    assert broken(as_json) == [("body[0].person.names[0]", "string_nul_character")]
    assert await scalar(settings, "SELECT count(*) FROM screening") == 0


async def test_an_idempotency_key_is_forgotten_after_its_retention(
    identification_settings: SettingsFactory, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings(idempotency_key_days=30, idempotency_sweep_seconds=0.1)
    keyed = [{**auth("moi-case-system"), "Idempotency-Key": f"moi-2026-0{n}"} for n in (1, 2)]
    async with running(build(settings)) as client:
        for headers in keyed:
            assert (await client.post("/screenings", json=screening(), headers=headers)).status_code == 201
        database = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.schema_name})
        await database.execute(
            "UPDATE idempotent_request SET recorded_at = now() - interval '31 days' WHERE key = $1", "moi-2026-01"
        )
        await database.close()

        async def forgotten() -> bool:
            return bool(await scalar(settings, "SELECT count(*) FROM idempotent_request") == 1)

        await eventually(forgotten, what="the 31-day-old key forgotten")
        again = [await client.post("/screenings", json=screening(), headers=headers) for headers in keyed]
    # Within the retention a repeat is the first answer again; after it, a new request.
    assert [a.headers.get("Idempotent-Replayed") for a in again] == [None, "true"]
    assert await scalar(settings, "SELECT count(*) FROM screening") == 3
