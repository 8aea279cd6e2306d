"""A Cambodian handed over by Viet Nam is screened on arrival at the transit centre: the screening names
the return and continues its case, once the handover is known here, and once only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from spean_contracts import from_kafka_record, source_of
from spean_contracts.events import CaseRepatriated, IdentificationDeadlineBreached, ScreeningRecorded
from spean_contracts.registry import IDENTIFICATION
from spean_contracts.vocabulary import BorderGate, Country
from spean_identification.app import build
from spean_identification.settings import IdentificationSettings
from spean_local.endpoints import Endpoints
from tests.support.app import broken, eventually, pages, running, scalar
from tests.support.kafka import publish, published

Auth = Callable[[str], dict[str, str]]
SettingsFactory = Callable[..., Awaitable[IdentificationSettings]]
ScreeningFactory = Callable[..., dict[str, Any]]


def _handed_over(reference: str, case_id: str, to_country: Country, days_ago: int = 0) -> CaseRepatriated:
    return CaseRepatriated(
        case_id=case_id,
        repatriation_id=reference,
        from_country=Country.VIET_NAM if to_country is Country.CAMBODIA else Country.CAMBODIA,
        to_country=to_country,
        border_gate=BorderGate.MOC_BAI_BAVET,
        repatriated_at=datetime.now(UTC) - timedelta(days=days_ago),
    )


async def test_a_returnee_screened_on_arrival_continues_the_case_of_the_return(
    identification_settings: SettingsFactory, servers: Endpoints, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    transit = auth("poipet-tc-system")
    home, away = "rep-vnm-00000000000000000001", "rep-khm-00000000000000000002"
    arriving = screening(encounter="repatriation", repatriation_id=home)
    async with running(build(settings)) as client:
        early = await client.post("/screenings", json=arriving, headers=transit)
        await _announced(
            servers,
            settings,
            _handed_over(home, "case-from-the-return-0001", Country.CAMBODIA),
            _handed_over(away, "case-left-cambodia-0002", Country.VIET_NAM),
        )
        screened = await client.post("/screenings", json=arriving, headers=transit)
        again = await client.post("/screenings", json=arriving, headers=transit)
        departed = await client.post("/screenings", json={**arriving, "repatriation_id": away}, headers=transit)
        elsewhere = await client.post("/screenings", json={**arriving, "encounter": "hotline"}, headers=transit)
        events = [from_kafka_record(r.value, r.headers) for r in await published(settings, IDENTIFICATION)]

    assert (early.status_code, early.json()["errors"][0]["path"]) == (409, "body.repatriation_id")
    assert screened.status_code == 201, screened.text
    assert screened.json()["case_id"] == "case-from-the-return-0001"
    assert again.status_code == 409
    assert again.json()["type"].endswith("return-screened")
    assert screened.json()["screening_id"] in again.json()["detail"]
    assert departed.status_code == 409, "a return from Cambodia brings nobody to its transit centres"
    assert departed.json()["type"].endswith("return-unknown")
    assert elsewhere.status_code == 422
    assert broken(elsewhere) == [("body.repatriation_id", "repatriation_encounter_only")]
    recorded = [e for e in events if isinstance(e.data, ScreeningRecorded)]
    assert [e.subject for e in recorded] == ["case-from-the-return-0001"]


async def test_a_handover_batch_is_screened_in_bulk_each_returnee_once(
    identification_settings: SettingsFactory, servers: Endpoints, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    first, second = "rep-vnm-batch-00000000000001", "rep-vnm-batch-00000000000002"
    rows = [
        screening(encounter="repatriation", repatriation_id=reference)
        for reference in (first, second, first, "rep-vnm-batch-99999999999999")
    ]
    async with running(build(settings)) as client:
        await _announced(
            servers,
            settings,
            _handed_over(first, "case-batch-0001", Country.CAMBODIA),
            _handed_over(second, "case-batch-0002", Country.CAMBODIA),
        )
        answer = await client.post("/screenings/bulk", json=rows, headers=auth("poipet-tc-system"))

    result = answer.json()
    assert (result["created"], result["failed"]) == (2, 2), result
    assert [(row["row"], row["status"]) for row in result["rows"]] == [(0, 201), (1, 201), (2, 409), (3, 409)]
    assert [row["screening"]["case_id"] for row in result["rows"][:2]] == ["case-batch-0001", "case-batch-0002"]
    assert [(e["path"], e["rule"]) for row in result["rows"][2:] for e in row["errors"]] == [
        ("repatriation_id", "return_screened"),
        ("repatriation_id", "return_unknown"),
    ]


async def test_a_transit_centre_lists_the_returnees_still_to_screen_longest_waiting_first(
    identification_settings: SettingsFactory, servers: Endpoints, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings()
    transit = auth("bavet-tc-system")
    handed_over = [
        _handed_over("rep-vnm-list-0000000000000001", "case-list-0001", Country.CAMBODIA, days_ago=1),
        _handed_over("rep-vnm-list-0000000000000002", "case-list-0002", Country.CAMBODIA, days_ago=3),
        _handed_over("rep-vnm-list-0000000000000003", "case-list-0003", Country.CAMBODIA, days_ago=2),
    ]
    async with running(build(settings)) as client:
        await _announced(servers, settings, *handed_over)
        waiting = await pages(client, "/returnees", transit, awaiting="screening", limit=2)
        arriving = screening(encounter="repatriation", repatriation_id="rep-vnm-list-0000000000000003")
        assert (await client.post("/screenings", json=arriving, headers=transit)).status_code == 201
        still = await client.get("/returnees", params={"awaiting": "screening"}, headers=transit)
        everyone = await client.get("/returnees", headers=transit)
        unknown = await client.get("/returnees", params={"awaiting": "determination"}, headers=transit)
        court = await client.get("/returnees", headers=auth("moj-court-system"))

    assert [len(page.json()) for page in waiting] == [2, 1]
    assert [row["case_id"] for page in waiting for row in page.json()] == [
        "case-list-0002",
        "case-list-0003",
        "case-list-0001",
    ]
    assert [row["case_id"] for row in still.json()] == ["case-list-0002", "case-list-0001"]
    assert [row["screening_id"] is None for row in everyone.json()] == [True, False, True]
    assert {row["from_country"] for row in everyone.json()} == {"VNM"}
    assert unknown.status_code == 422
    assert court.status_code == 403


async def test_a_returnee_not_screened_on_arrival_in_time_is_a_breach_told_once(
    identification_settings: SettingsFactory, servers: Endpoints, auth: Auth, screening: ScreeningFactory
) -> None:
    settings = await identification_settings(reception_screening_hours=24, deadline_scan_seconds=0.1)
    late, recent = "rep-vnm-late-000000000000001", "rep-vnm-recent-0000000000002"
    async with running(build(settings)) as client:
        await _announced(
            servers,
            settings,
            _handed_over(late, "case-late-0001", Country.CAMBODIA, days_ago=2),
            _handed_over(recent, "case-recent-0002", Country.CAMBODIA),
        )

        async def breached() -> bool:
            return bool(await scalar(settings, "SELECT count(*) FROM returnee WHERE deadline_breached") == 1)

        await eventually(breached, what="the late returnee's breach")
        await asyncio.sleep(0.5)  # several scans more: a breach is told once
        arriving = screening(encounter="repatriation", repatriation_id=late)
        screened_late = await client.post("/screenings", json=arriving, headers=auth("bavet-tc-system"))
        events = [from_kafka_record(r.value, r.headers) for r in await published(settings, IDENTIFICATION)]

    breaches = [e.data for e in events if isinstance(e.data, IdentificationDeadlineBreached)]
    assert [(b.case_id, b.stage, b.agency) for b in breaches] == [("case-late-0001", "screening", "MOSVY")]
    assert screened_late.status_code == 201, "a late screening still continues the return's case"
    assert screened_late.json()["case_id"] == "case-late-0001"


async def _announced(servers: Endpoints, settings: IdentificationSettings, *handed_over: CaseRepatriated) -> None:
    """The handovers published as repatriation does; returns once identification has consumed them all."""
    await publish(
        servers.kafka_bootstrap, settings.topic_namespace, *handed_over, source=source_of("repatriation", "MOSVY")
    )

    async def consumed() -> bool:
        return bool(await scalar(settings, "SELECT count(*) FROM inbox") >= len(handed_over))

    await eventually(consumed, what="repatriation's events consumed by identification")
