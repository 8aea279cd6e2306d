"""The registry on the real servers: linkage into one national record, statistics that count persons
and resist differencing, court outcomes, a rebuild from offset 0 equal to the live state, the audit."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from spean_contracts import from_kafka_record
from spean_contracts.events import (
    AgeAssessed,
    CaseReferred,
    CaseRepatriated,
    ConsentRecorded,
    DeterminationMade,
    IdentificationDeadlineBreached,
    PersonalDataErased,
    PlacementDeadlineBreached,
    ReferralClosed,
    RepatriationRequested,
    ScreeningCorrected,
    ServiceGapRecorded,
)
from spean_contracts.examples import EXAMPLES
from spean_contracts.fields import INDOCHINA, EventData, local_today
from spean_contracts.registry import PROSECUTION
from spean_contracts.vocabulary import (
    AgeBand,
    AgeMethod,
    Agency,
    BorderGate,
    Continuum,
    CorrectionReason,
    Country,
    Encounter,
    Province,
    Sex,
)
from spean_kit.database import async_url
from spean_kit.replay import read_topic
from spean_registry.app import build
from spean_registry.domain.linkage import own_record
from spean_registry.projection import link
from spean_registry.rebuild import rebuild
from spean_registry.settings import RegistrySettings
from tests.support.app import broken, eventually, running, scalar, tamper
from tests.support.kafka import publish

Auth = Callable[[str], dict[str, str]]
Settings = Callable[..., Awaitable[RegistrySettings]]
Events = tuple[Callable[..., Any], Callable[..., Any]]


def _key(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).decode().rstrip("=")


def _case() -> str:
    return f"case-{uuid.uuid4().hex}"


async def _figures(client: httpx.AsyncClient, headers: dict[str, str], measure: str, by: str) -> dict[str, int | None]:
    """A measure's cells by one dimension, as an analyst reads them."""
    answer = await client.get("/statistics", params={"measure": measure, "by": by}, headers=headers)
    assert answer.status_code == 200, answer.text
    return {cell["key"][by]: cell["count"] for cell in answer.json()["cells"]}


async def _projected(settings: RegistrySettings, count: int) -> None:
    async def done() -> bool:
        return bool(await scalar(settings, "SELECT count(*) FROM timeline_entry") >= count)

    await eventually(done, what=f"{count} events projected")


async def test_three_agencies_reporting_one_person_make_one_record_and_one_victim(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    settings = await registry_settings(small_cell_threshold=2)
    screened, identified = events
    person = [_key("sok dara|1998-04-01"), _key("sok dara|1998")]
    police, ngo, mosvy, other = _case(), _case(), _case(), _case()
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        screened(police, person, "MOI-AHTJP"),
        screened(ngo, person, "NGO"),
        screened(mosvy, person[1:], "MOSVY"),
        screened(other, [_key("chan sophea|2001-01-01"), _key("chan sophea|2001")], "NGO"),
        *(identified(case) for case in (police, ngo, mosvy, other)),
    )
    async with running(build(settings)) as client:
        await _projected(settings, 8)
        record_id = await scalar(settings, "SELECT national_record_id FROM case_facts WHERE case_id = :c", c=police)
        record = (await client.get(f"/records/{record_id}", headers=auth("ncct-statistics-system"))).json()
        stats = (
            await client.get("/statistics", params={"measure": "identified"}, headers=auth("ncct-statistics-system"))
        ).json()
        timeline_by_analyst = await client.get(
            f"/cases/{police}/timeline", params={"purpose": "curiosity"}, headers=auth("ncct-statistics-system")
        )
        timeline = await client.get(
            f"/cases/{police}/timeline", params={"purpose": "determination review"}, headers=auth("mosvy-case-system")
        )
        without_purpose = [
            await client.get(f"/cases/{police}/timeline", params=params, headers=auth("mosvy-case-system"))
            for params in ({}, {"purpose": "  ok  "})
        ]

    assert {(link["case_id"], link["certainty"]) for link in record["links"]} == {
        (police, "certain"),
        (ngo, "certain"),
        (mosvy, "probable"),
    }
    assert stats["total"] == 2
    assert timeline_by_analyst.status_code == 403
    assert [(answer.status_code, broken(answer)) for answer in without_purpose] == [
        (422, [("query.purpose", "purpose_required")])
    ] * 2
    (screening,) = [e["data"] for e in timeline.json()["entries"] if e["type"].endswith("screening-recorded.v1")]
    assert screening["agency"] == "MOI-AHTJP"
    assert "match_keys" not in screening, "keyed hashes of name and birth date are for linkage, not for readers"
    assert not any(key in timeline.text for key in person)


async def test_a_person_s_timeline_holds_every_agency_s_cases_of_them_in_the_order_they_happened(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    """A woman identified by the police, screened again by an NGO months later and by MoSVY (by birth year
    alone, so linked as probable): a case worker reads her whole history in one timeline, each event named
    with its case, none of another woman's; one audit entry names the cases read."""
    settings = await registry_settings()
    screened, identified = events
    person = [_key("sok dara|1998-04-01"), _key("sok dara|1998")]
    police, ngo, mosvy, other = _case(), _case(), _case(), _case()
    now = datetime.now(UTC)
    # Told latest first, as a late report of an old event would be: the timeline follows when things happened.
    told = [
        (screened(mosvy, person[1:], "MOSVY"), 100),
        (screened(ngo, person, "NGO"), 200),
        (screened(other, [_key("chan sophea|2001-01-01"), _key("chan sophea|2001")], "MOI-AHTJP"), 250),
        (identified(police, "MOI-AHTJP"), 290),
        (screened(police, person, "MOI-AHTJP"), 300),
    ]
    for event, days_ago in told:
        await publish(settings.kafka_bootstrap, settings.topic_namespace, event, time=now - timedelta(days=days_ago))
    mosvy_worker = auth("mosvy-case-system")
    async with running(build(settings)) as client:
        await _projected(settings, len(told))
        record_id = (
            await client.get(f"/cases/{ngo}/timeline", params={"purpose": "care plan"}, headers=mosvy_worker)
        ).json()["national_record_id"]
        path = f"/records/{record_id}/timeline"
        history = await client.get(path, params={"purpose": "care plan review"}, headers=mosvy_worker)
        refused = [
            await client.get(path, params={"purpose": "care plan review"}, headers=auth(client_id))
            for client_id in ("ncct-statistics-system", "ngo-shelter-system")
        ]
        without_purpose = await client.get(path, headers=mosvy_worker)
        unknown = await client.get(
            "/records/nr-0123456789abcdef/timeline", params={"purpose": "care plan"}, headers=mosvy_worker
        )
        audited = (await client.get("/audit", params={"case_id": mosvy}, headers=auth("operations-console"))).json()

    assert history.status_code == 200, history.text
    assert [(e["case_id"], e["type"].removeprefix("kh.spean.")) for e in history.json()["entries"]] == [
        (police, "identification.screening-recorded.v1"),
        (police, "case.identified.v1"),
        (ngo, "identification.screening-recorded.v1"),
        (mosvy, "identification.screening-recorded.v1"),
    ]
    assert {(link["case_id"], link["certainty"]) for link in history.json()["links"]} == {
        (police, "certain"),
        (ngo, "certain"),
        (mosvy, "probable"),
    }
    assert not any(key in history.text for key in person), "match keys serve linkage alone"
    assert [answer.status_code for answer in refused] == [403, 403]
    assert (without_purpose.status_code, broken(without_purpose)) == (422, [("query.purpose", "purpose_required")])
    assert unknown.status_code == 404
    assert [(e["action"], sorted(e["target"].split(",")), e["purpose"]) for e in audited] == [
        ("person-timeline-read", sorted([police, ngo, mosvy]), "care plan review")
    ]


async def test_a_merge_of_six_reports_and_the_reading_of_their_timeline_are_audited_naming_every_case(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    """A man deported six times, screened each time under another spelling of his name: an analyst merges
    the six reports, and a case worker reads his whole history. Each audit entry names all six cases."""
    settings = await registry_settings()
    screened, _ = events
    cases = sorted(_case() for _ in range(6))
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        *(screened(case, [_key(f"spelling {n}|1990")], "MOSVY-POIPET-TC") for n, case in enumerate(cases)),
    )
    async with running(build(settings)) as client:
        await _projected(settings, len(cases))
        merged = await client.post(
            "/records/merge",
            json={"case_ids": cases, "reason": "one man: his thumbprint on all six forms"},
            headers=auth("ncct-statistics-system"),
        )
        history = await client.get(
            f"/records/{merged.json()['national_record_id']}/timeline",
            params={"purpose": "needs assessment"},
            headers=auth("mosvy-case-system"),
        )
        audited = (await client.get("/audit", headers=auth("operations-console"))).json()

    assert (merged.status_code, history.status_code) == (200, 200), (merged.text, history.text)
    assert sorted(entry["case_id"] for entry in history.json()["entries"]) == cases
    assert [(entry["action"], sorted(entry["target"].split(","))) for entry in audited] == [
        ("record-merge", cases),
        ("person-timeline-read", cases),
    ]


async def test_small_cells_are_suppressed_and_differencing_two_queries_recovers_none(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    settings = await registry_settings()
    _, identified = events
    cases = [("KH-1", 20), ("KH-12", 15), ("KH-2", 3)]
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        *(identified(_case(), province=province) for province, n in cases for _ in range(n)),
    )
    analyst = auth("ncct-statistics-system")
    async with running(build(settings)) as client:
        await _projected(settings, 38)
        total = (await client.get("/statistics", headers=analyst)).json()
        by_province = (await client.get("/statistics", params={"by": "province"}, headers=analyst)).json()
        as_csv = await client.get("/statistics", params={"by": "province", "format": "csv"}, headers=analyst)

    cells = {cell["key"]["province"]: cell["count"] for cell in by_province["cells"]}
    assert cells == {"KH-1": 20, "KH-12": None, "KH-2": None}
    difference = total["total"] - sum(count for count in cells.values() if count is not None)
    assert difference == 18  # two hidden cells together, never the 3 on its own
    assert difference >= by_province["k"]
    assert as_csv.text.splitlines() == [
        "province,identified",
        "KH-1,20",
        "KH-12,suppressed",
        "KH-2,suppressed",
        "total,38",
    ]


async def test_a_provinces_total_less_its_cells_shown_by_sex_recovers_no_small_cell(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    settings = await registry_settings()
    _, identified = events
    people = {("KH-2", "female"): 12, ("KH-2", "male"): 3, ("KH-9", "female"): 40, ("KH-9", "male"): 11}
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        *(identified(_case(), province=p, sex=sex) for (p, sex), n in people.items() for _ in range(n)),
    )
    analyst = auth("ncct-statistics-system")
    async with running(build(settings)) as client:
        await _projected(settings, sum(people.values()))
        by_province = (await client.get("/statistics", params={"by": "province"}, headers=analyst)).json()
        by_sex = (await client.get("/statistics", params={"by": ["province", "sex"]}, headers=analyst)).json()

    provinces = {cell["key"]["province"]: cell["count"] for cell in by_province["cells"]}
    cells = {(cell["key"]["province"], cell["key"]["sex"]): cell["count"] for cell in by_sex["cells"]}
    assert provinces == {"KH-2": 15, "KH-9": 51}
    assert cells[("KH-2", "male")] is None
    for province, total in provinces.items():
        line = {cell: count for cell, count in cells.items() if cell[0] == province}
        hidden = [cell for cell, count in line.items() if count is None]
        shown = sum(count for count in line.values() if count is not None)
        assert len(hidden) != 1, f"{hidden} is {province}'s total less the cells shown"
        assert not hidden or total - shown >= by_sex["k"]


async def test_persons_whose_age_was_assessed_are_counted_in_the_age_band_assessed(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    settings = await registry_settings(small_cell_threshold=2)
    _, identified = events
    cases = [_case() for _ in range(5)]
    found_children = [
        AgeAssessed(
            case_id=case,
            age_band=AgeBand.TEEN,
            is_child=True,
            methods=[AgeMethod.INTERVIEW],
            agency=Agency.MOSVY,
            assessed_at=datetime.now(UTC),
        )
        for case in cases[:3]
    ]
    await publish(
        settings.kafka_bootstrap, settings.topic_namespace, *(identified(case) for case in cases), *found_children
    )
    async with running(build(settings)) as client:
        await _projected(settings, 8)
        by_age = (
            await client.get("/statistics", params={"by": "age_band"}, headers=auth("ncct-statistics-system"))
        ).json()

    assert {cell["key"]["age_band"]: cell["count"] for cell in by_age["cells"]} == {"12-17": 3, "18-24": 2}


def _corrected(case_id: str, keys: list[str], *, child: bool, reason: CorrectionReason) -> ScreeningCorrected:
    """A Cambodian woman's screening corrected: a teenager's or a young adult's, linked by `keys`."""
    return ScreeningCorrected(
        case_id=case_id,
        screening_id=f"scr-{uuid.uuid4().hex}",
        province=Province("KH-1"),
        sex=Sex("female"),
        age_band=AgeBand.TEEN if child else AgeBand.YOUNG_ADULT,
        nationality=Country.CAMBODIA,
        is_child=child,
        match_keys=keys,
        reason=reason,
        agency=Agency.MOSVY,
        corrected_at=datetime.now(UTC),
    )


async def test_a_corrected_screening_leaves_the_record_its_wrong_data_linked_it_to_for_the_corrected_ones(
    registry_settings: Settings, events: Events
) -> None:
    settings = await registry_settings()
    screened, _ = events
    wrong = [_key("sok dara|1998-04-01"), _key("sok dara|1998")]
    right = [_key("sok dara|2011-04-01"), _key("sok dara|2011")]
    adult, mistaken, child = _case(), _case(), _case()
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        screened(adult, wrong, "NGO"),
        screened(mistaken, wrong, "MOSVY-POIPET-TC"),
        screened(child, right, "MOI-AHTJP"),
    )
    correction = _corrected(mistaken, right, child=True, reason=CorrectionReason.DOCUMENTS_VERIFIED)

    async def records() -> list[str]:
        return [
            await scalar(settings, "SELECT national_record_id FROM case_facts WHERE case_id = :c", c=case)
            for case in (adult, mistaken, child)
        ]

    async with running(build(settings)):
        await _projected(settings, 3)
        before = await records()
        await publish(settings.kafka_bootstrap, settings.topic_namespace, correction)
        await _projected(settings, 4)
        after = await records()
        profile = await scalar(settings, "SELECT age_band FROM case_facts WHERE case_id = :c", c=mistaken)
    live = await _snapshot(settings)
    await rebuild(settings)

    assert before[0] == before[1] != before[2]
    assert after[0] != after[1] == after[2]
    assert profile == "12-17"
    assert await _snapshot(settings) == live


async def test_a_screening_corrected_into_no_keys_leaves_the_record_it_was_linked_to(
    registry_settings: Settings, events: Events
) -> None:
    settings = await registry_settings()
    screened, _ = events
    keys = [_key("chan sophea|2001-01-01"), _key("chan sophea|2001")]
    first, mistaken = sorted((_case(), _case()))
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        screened(first, keys, "NGO"),
        screened(mistaken, keys, "MOI-AHTJP"),
    )
    unkeyed = _corrected(mistaken, [], child=False, reason=CorrectionReason.RECORDING_ERROR)
    record = "SELECT national_record_id FROM case_facts WHERE case_id = :c"
    async with running(build(settings)):
        await _projected(settings, 2)
        before = await scalar(settings, record, c=mistaken)
        await publish(settings.kafka_bootstrap, settings.topic_namespace, unkeyed)
        await _projected(settings, 3)
        after = await scalar(settings, record, c=mistaken)

    assert before == await scalar(settings, record, c=first)
    assert after == own_record(mistaken)


def _returned(case_id: str, home: Country) -> CaseRepatriated:
    away = Country.CAMBODIA if home is not Country.CAMBODIA else Country.VIET_NAM
    return CaseRepatriated(
        case_id=case_id,
        repatriation_id=f"rep-{uuid.uuid4().hex[:20]}",
        from_country=away,
        to_country=home,
        border_gate=BorderGate.MOC_BAI_BAVET,
        repatriated_at=datetime.now(UTC),
    )


async def test_returnees_are_not_counted_as_screened_and_returns_are_counted_by_country_and_year_of_return(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    settings = await registry_settings(small_cell_threshold=2)
    screened, _ = events
    found_here = [_case(), _case()]
    # Cambodians returned from Viet Nam: their cases open with the origin side's repatriation, unscreened.
    came_home = [_case(), _case()]
    this_year = local_today().year
    last_december = datetime(this_year - 1, 12, 20, 10, tzinfo=INDOCHINA)
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        *(screened(case, [_key(case)], "MOI-AHTJP", at=last_december) for case in found_here),
        *(_returned(case, Country.VIET_NAM) for case in found_here),
        *(_returned(case, Country.CAMBODIA) for case in came_home),
    )
    analyst = auth("ncct-statistics-system")
    async with running(build(settings)) as client:
        await _projected(settings, 6)
        screenings = (await client.get("/statistics", params={"measure": "screened"}, headers=analyst)).json()
        returns = (
            await client.get("/statistics", params={"measure": "repatriated", "by": "returned_to"}, headers=analyst)
        ).json()
        by_year = (
            await client.get("/statistics", params={"measure": "repatriated", "by": "year"}, headers=analyst)
        ).json()

    assert screenings["total"] == 2
    assert {cell["key"]["returned_to"]: cell["count"] for cell in returns["cells"]} == {"KHM": 2, "VNM": 2}
    # A year's returns are those handed over in it, screened here the year before or never.
    assert {cell["key"]["year"]: cell["count"] for cell in by_year["cells"]} == {str(this_year): 4}


async def test_a_years_screenings_stay_counted_in_it_when_the_persons_are_identified_the_year_after(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    """Poipet's screenings of a year are reported for that year, and do not move to the next one with the
    persons identified in it."""
    settings = await registry_settings(small_cell_threshold=2)
    screened, identified = events
    last_year = local_today().year - 1
    in_december = datetime(last_year, 12, 20, 10, tzinfo=INDOCHINA)
    cases = [_case() for _ in range(3)]
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        *(screened(case, [_key(case)], "MOSVY-POIPET-TC", at=in_december) for case in cases),
        *(identified(case) for case in cases),
    )
    analyst = auth("ncct-statistics-system")
    async with running(build(settings)) as client:
        await _projected(settings, 6)

        async def by_year(measure: str) -> dict[str, int | None]:
            answer = await client.get("/statistics", params={"measure": measure, "by": "year"}, headers=analyst)
            return {cell["key"]["year"]: cell["count"] for cell in answer.json()["cells"]}

        screenings, identifications = await by_year("screened"), await by_year("identified")

    assert screenings == {str(last_year): 3}
    assert identifications == {str(last_year + 1): 3}


async def _prosecution_event_types(settings: RegistrySettings) -> list[str]:
    topic = settings.topic_namespace + PROSECUTION.name
    return [from_kafka_record(r.value, r.headers).type for r in await read_topic(settings.kafka_bootstrap, topic)]


async def test_a_court_outcome_is_published_and_counted(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    settings = await registry_settings(small_cell_threshold=2)
    _, identified = events
    first, second = _case(), _case()
    await publish(settings.kafka_bootstrap, settings.topic_namespace, identified(first), identified(second))
    outcome = {
        "court_case_id": "court-bmc-2026-0117",
        "court_province": "KH-1",
        "charges": [{"law_article": "2008 LSHTSE art. 15", "category": "trafficking"}],
        "verdict": "convicted",
        "sentence_months": 84,
        "restitution_ordered_khr": 20_000_000,
        "decided_on": "2026-10-30",
    }
    clerk = auth("moj-court-system")
    async with running(build(settings)) as client:
        await _projected(settings, 2)
        recorded = await client.post("/court-outcomes", json={**outcome, "case_id": first}, headers=clerk)
        settled = await client.post(
            "/court-outcomes",
            json={
                **outcome,
                "case_id": second,
                "court_case_id": "court-bmc-2026-0118",
                "verdict": "settled",
                "sentence_months": None,
                "settlement": True,
            },
            headers=clerk,
        )
        invalid = await client.post(
            "/court-outcomes", json={**outcome, "case_id": first, "restitution_paid_khr": 30_000_000}, headers=clerk
        )
        implausible = [
            await client.post("/court-outcomes", json={**outcome, "case_id": second, **field}, headers=clerk)
            for field in (
                {"decided_on": "1999-12-31"},
                {"decided_on": "9999-12-31"},
                {"restitution_ordered_khr": 10**30},
            )
        ]
        await _projected(settings, 6)
        prosecuted = (
            await client.get("/statistics", params={"measure": "prosecuted"}, headers=auth("ncct-statistics-system"))
        ).json()
        convicted = (
            await client.get("/statistics", params={"measure": "convicted"}, headers=auth("ncct-statistics-system"))
        ).json()

    assert recorded.status_code == settled.status_code == 201
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["message"].endswith("restitution paid cannot exceed restitution ordered")
    # Each was a 500 once: case.prosecuted tells only years from 2000, and the database's JSON no integer that large.
    assert [broken(answer) for answer in implausible] == [
        [("body.decided_on", "date_range")],
        [("body.decided_on", "date_range")],
        [("body.restitution_ordered_khr", "less_than_equal")],
    ]
    assert (prosecuted["total"], convicted["total"]) == (2, None)  # one conviction: below k, suppressed
    types = await _prosecution_event_types(settings)
    assert types.count("kh.spean.case.prosecuted.v1") == 2


async def test_a_court_case_takes_its_later_decisions_and_an_appeal_can_undo_a_conviction(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    settings = await registry_settings()
    _, identified = events
    case, other = _case(), _case()
    await publish(settings.kafka_bootstrap, settings.topic_namespace, identified(case), identified(other))
    pending = {
        "case_id": case,
        "court_case_id": "court-kdl-2026-0042",
        "court_province": "KH-8",
        "charges": [{"law_article": "2008 LSHTSE art. 10", "category": "trafficking"}],
        "verdict": "pending",
        "restitution_ordered_khr": 0,
        "decided_on": "2026-03-02",
    }
    convicted = {**pending, "verdict": "convicted", "sentence_months": 120, "decided_on": "2026-09-15"}
    convicted["restitution_ordered_khr"] = 8_000_000
    paid = {**convicted, "restitution_paid_khr": 8_000_000, "decided_on": "2026-11-03"}
    acquitted_on_appeal = {**paid, "verdict": "acquitted", "sentence_months": None, "decided_on": "2026-11-20"}
    clerk = auth("moj-court-system")
    async with running(build(settings)) as client:
        await _projected(settings, 2)
        answers = [
            (await client.post("/court-outcomes", json=outcome, headers=clerk)).status_code
            for outcome in (pending, convicted, paid)
        ]
        await _projected(settings, 2 + 3 + 1)
        convicted_then = await scalar(settings, "SELECT convicted FROM case_facts WHERE case_id = :c", c=case)
        refused = [
            (await client.post("/court-outcomes", json=outcome, headers=clerk)).json()
            for outcome in (
                paid,
                {**paid, "decided_on": "2026-10-01", "defendant_absconded": True},
                {**paid, "case_id": other},
            )
        ]
        appealed = await client.post("/court-outcomes", json=acquitted_on_appeal, headers=clerk)
        await _projected(settings, 2 + 4 + 2)
        convicted_now = await scalar(settings, "SELECT convicted FROM case_facts WHERE case_id = :c", c=case)
        kept = await scalar(settings, "SELECT outcome->>'verdict' FROM court_case")

    assert answers == [201, 201, 201]
    assert appealed.status_code == 201
    assert [(problem["status"], problem["type"].rsplit(":", 1)[1]) for problem in refused] == [
        (409, "conflict"),
        (409, "later-decision-recorded"),
        (409, "court-case-of-another-case"),
    ]
    assert (convicted_then, convicted_now, kept) == (True, False, "acquitted")
    types = await _prosecution_event_types(settings)
    assert types.count("kh.spean.prosecution.court-outcome-recorded.v1") == 4
    assert types.count("kh.spean.case.prosecuted.v1") == 2


async def test_court_figures_count_court_cases_by_the_year_of_the_courts_decision(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    """As the courts' yearly figures do (2018: 421 trafficking cases prosecuted, 125 convictions): a case
    before the court in one year and convicted the next counts in both years, a conviction only in the
    second; rape is never counted as trafficking."""
    settings = await registry_settings(small_cell_threshold=2)
    _, identified = events
    cases = [_case() for _ in range(4)]
    await publish(settings.kafka_bootstrap, settings.topic_namespace, *(identified(case) for case in cases))
    decisions = [
        _decision(cases[0], "court-bmc-2024-0001", "trafficking", "pending", "2024-03-01"),
        _decision(cases[0], "court-bmc-2024-0001", "trafficking", "pending", "2024-11-01", defendant_absconded=True),
        _decision(cases[0], "court-bmc-2024-0001", "trafficking", "convicted", "2025-02-01", **SENTENCED),
        _decision(cases[1], "court-bmc-2024-0002", "trafficking", "pending", "2024-05-01", defendant_absconded=True),
        _decision(cases[1], "court-bmc-2024-0002", "trafficking", "settled", "2025-07-01", settlement=True),
        _decision(cases[2], "court-pnp-2025-0003", "rape", "convicted", "2025-06-01", **SENTENCED, **PAID),
        _decision(cases[3], "court-pnp-2025-0004", "rape", "convicted", "2025-08-01", **SENTENCED),
    ]
    analyst = auth("ncct-statistics-system")
    async with running(build(settings)) as client:
        await _projected(settings, len(cases))
        clerk = auth("moj-court-system")
        for decision in decisions:
            assert (await client.post("/court-outcomes", json=decision, headers=clerk)).status_code == 201
        await _projected(settings, len(cases) + len(decisions) + len(cases))  # a verdict each: case.prosecuted

        figures = functools.partial(_figures, client, analyst)
        before_court = await figures("court_cases", "year")
        convictions = await figures("court_convictions", "year")
        by_charge = await figures("court_cases", "charge_category")
        by_court = await figures("court_cases", "court_province")
        persons = await figures("prosecuted", "year")
        settled = await figures("court_settlements", "year")
        absconded = await figures("court_absconded", "year")
        ordered = await figures("court_restitution_ordered", "year")
        paid = await figures("court_restitution_paid", "year")
        unknown = await client.get("/statistics", params={"measure": "court_cases", "by": "sex"}, headers=analyst)

    assert before_court == {"2024": 2, "2025": 4}
    assert convictions == {"2025": 3}
    assert (settled, absconded) == ({"2025": None}, {"2024": 2}), "one settlement is below k, and suppressed"
    assert (ordered, paid) == ({"2025": 3}, {"2025": None}), "restitution paid in full once in three"
    assert by_charge == {"trafficking": 2, "rape": 2}
    assert by_court == {"KH-1": 2, "KH-12": 2}
    assert persons == {str(local_today().year): 4}, "persons prosecuted stay counted by the year identified"
    assert broken(unknown) == [("query.by", "dimension_of_measure")]


async def test_convictions_are_counted_by_the_sentences_band_in_the_law(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    """Two trafficking convictions sentenced within the law's range for an adult victim (8 years), two below
    its least (5 years): the year's figures show both, where a count of convictions alone hides them."""
    settings = await registry_settings(small_cell_threshold=2)
    _, identified = events
    cases = [_case() for _ in range(4)]
    await publish(settings.kafka_bootstrap, settings.topic_namespace, *(identified(case) for case in cases))
    decisions = [
        _decision(case, f"court-bmc-2025-000{n}", "trafficking", "convicted", "2025-06-01", sentence_months=months)
        for n, (case, months) in enumerate(zip(cases, (96, 96, 60, 60), strict=True))
    ]
    async with running(build(settings)) as client:
        await _projected(settings, len(cases))
        for decision in decisions:
            answer = await client.post("/court-outcomes", json=decision, headers=auth("moj-court-system"))
            assert answer.status_code == 201, answer.text
        await _projected(settings, len(cases) + 2 * len(decisions))
        params = {"measure": "court_convictions", "by": ["year", "sentence"]}
        answer = await client.get("/statistics", params=params, headers=auth("ncct-statistics-system"))

    cells = {(cell["key"]["year"], cell["key"]["sentence"]): cell["count"] for cell in answer.json()["cells"]}
    assert cells == {("2025", "7-to-15-years"): 2, ("2025", "under-7-years"): 2}


async def test_breaches_are_counted_by_the_deadline_missed_and_gaps_by_the_need_unmet(
    registry_settings: Settings, auth: Auth
) -> None:
    """Three persons placed late, two determinations late; three persons no shelter takes, two no legal aid
    reaches: where the mechanism loses time and what the directory lacks, which counts of breaches and gaps
    alone do not tell. A count of persons has no such dimension."""
    settings = await registry_settings(small_cell_threshold=2)
    cases = [_case() for _ in range(4)]

    placed_late, determined_late = (
        EXAMPLES["referral.placement-deadline-breached"][0],
        EXAMPLES["identification.deadline-breached"][0],
    )
    gap = EXAMPLES["referral.service-gap-recorded"][0]
    late: list[EventData] = [
        *(PlacementDeadlineBreached.model_validate(placed_late | {"case_id": c}) for c in cases[:3]),
        *(IdentificationDeadlineBreached.model_validate(determined_late | {"case_id": c}) for c in cases[2:]),
    ]
    unmet = [
        *(ServiceGapRecorded.model_validate(gap | {"case_id": c, "need": "shelter"}) for c in cases[:3]),
        *(ServiceGapRecorded.model_validate(gap | {"case_id": c, "need": "legal"}) for c in cases[2:]),
    ]
    await publish(settings.kafka_bootstrap, settings.topic_namespace, *late, *unmet)
    analyst = auth("ncct-statistics-system")
    async with running(build(settings)) as client:
        await _projected(settings, len(late) + len(unmet))
        by_need = await _figures(client, analyst, "service_gaps", "need")
        by_deadline = await client.get(
            "/statistics", params={"measure": "deadline_breaches", "by": "deadline"}, headers=analyst
        )
        of_persons = await client.get(
            "/statistics", params={"measure": "identified", "by": "deadline"}, headers=analyst
        )

    assert {cell["key"]["deadline"]: cell["count"] for cell in by_deadline.json()["cells"]} == {
        "placement": 3,
        "determination": 2,
    }
    assert by_deadline.json()["total"] == len(late)
    assert by_need == {"shelter": 3, "legal": 2}
    assert broken(of_persons) == [("query.by", "dimension_of_measure")]


async def test_closures_of_care_are_counted_by_how_care_ended(registry_settings: Settings, auth: Auth) -> None:
    """Three closures of care with the person reintegrated, two with the person trafficked again: what
    reintegration achieves, which the count of referred persons does not tell. A referral closed because the
    person was referred on (no outcome) is not a closure of care."""
    settings = await registry_settings(small_cell_threshold=2)
    cases = [_case() for _ in range(4)]
    closed = EXAMPLES["referral.closed"][0]
    ended = [
        *(ReferralClosed.model_validate(closed | {"case_id": c, "outcome": "reintegrated"}) for c in cases[:3]),
        *(ReferralClosed.model_validate(closed | {"case_id": c, "outcome": "re-trafficked"}) for c in cases[2:]),
        ReferralClosed.model_validate(closed | {"case_id": cases[0], "status": "ClosedReferred", "outcome": None}),
    ]
    await publish(settings.kafka_bootstrap, settings.topic_namespace, *ended)
    analyst = auth("ncct-statistics-system")
    async with running(build(settings)) as client:
        await _projected(settings, len(ended))
        by_outcome = await _figures(client, analyst, "care_closures", "care_outcome")
        total = await client.get("/statistics", params={"measure": "care_closures"}, headers=analyst)

    assert by_outcome == {"reintegrated": 3, "re-trafficked": 2}
    assert total.json()["total"] == 5


async def test_referred_persons_are_counted_by_how_long_they_waited_for_care(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    """Two persons placed within the hour, two after ten days: a count of referrals alone does not say how
    long victims wait between identification and care."""
    settings = await registry_settings(small_cell_threshold=2)
    _, identified = events
    cases = [_case() for _ in range(4)]
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    waits = [timedelta(hours=1), timedelta(hours=1), timedelta(days=10), timedelta(days=10)]
    referred = EXAMPLES["case.referred"][0]
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        *(
            CaseReferred.model_validate(referred | {"case_id": case_id, "referred_at": at + wait})
            for case_id, wait in zip(cases, waits, strict=True)
        ),
        *(identified(case_id).model_copy(update={"identified_at": at}) for case_id in cases),
    )
    async with running(build(settings)) as client:
        await _projected(settings, 2 * len(cases))
        waited = await _figures(client, auth("ncct-statistics-system"), "referred", "days_to_placement")

    assert waited == {"0-2": 2, "7-30": 2}


async def test_repatriated_persons_are_counted_by_how_long_their_return_took(
    registry_settings: Settings, auth: Auth
) -> None:
    """Two persons handed over 20 days after their return was requested, two after 75: how long the SOP's
    procedure takes, from the request to the handover."""
    settings = await registry_settings(small_cell_threshold=2)
    cases = [_case() for _ in range(4)]
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    requested, returned = EXAMPLES["repatriation.requested"][0], EXAMPLES["case.repatriated"][0]
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        *(RepatriationRequested.model_validate(requested | {"case_id": case_id, "at": at}) for case_id in cases),
        *(
            CaseRepatriated.model_validate(returned | {"case_id": case_id, "repatriated_at": at + timedelta(days=days)})
            for case_id, days in zip(cases, (20, 20, 75, 75), strict=True)
        ),
    )
    async with running(build(settings)) as client:
        await _projected(settings, 2 * len(cases))
        took = await _figures(client, auth("ncct-statistics-system"), "repatriated", "days_to_return")

    assert took == {"0-30": 2, "60-90": 2}


async def test_screened_persons_are_counted_by_their_situation_and_the_outcome_determined(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    """Four deportees screened at the transit centre in situation C (deceived about working conditions),
    where officers most often misjudge consent: two determined trafficking victims, two not trafficked.
    The continuum beside the outcome shows where the judgement turns, for training."""
    settings = await registry_settings(small_cell_threshold=2)
    screened, _ = events
    cases = [_case() for _ in range(4)]
    determined = EXAMPLES["identification.determination-made"][0]
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        *(
            screened(case_id, [], "MOSVY-POIPET-TC").model_copy(
                update={"continuum": Continuum.C, "encounter": Encounter.DEPORTEE_TRANSIT}
            )
            for case_id in cases
        ),
        *(
            DeterminationMade.model_validate(determined | {"case_id": case_id, "outcome": outcome})
            for case_id, outcome in zip(cases, ["trafficking-victim"] * 2 + ["not-trafficked"] * 2, strict=True)
        ),
    )
    analyst = auth("ncct-statistics-system")
    async with running(build(settings)) as client:
        await _projected(settings, 2 * len(cases))
        judged = await client.get(
            "/statistics", params={"measure": "screened", "by": ["continuum", "outcome"]}, headers=analyst
        )
        met = await _figures(client, analyst, "screened", "encounter")

    cells = {(cell["key"]["continuum"], cell["key"]["outcome"]): cell["count"] for cell in judged.json()["cells"]}
    assert cells == {("C", "trafficking-victim"): 2, ("C", "not-trafficked"): 2}
    assert met == {"deportee-transit": 4}


SENTENCED = {"sentence_months": 96, "restitution_ordered_khr": 8_000_000}
PAID = {"restitution_paid_khr": 8_000_000}


def _decision(case_id: str, court_case_id: str, category: str, verdict: str, on: str, **more: Any) -> dict[str, Any]:
    """A court's decision; trafficking is tried at Banteay Meanchey's court, rape at Phnom Penh's."""
    law = {"trafficking": ("2008 LSHTSE art. 15", "KH-1"), "rape": ("Criminal Code art. 239", "KH-12")}
    article, province = law[category]
    charges = [{"law_article": article, "category": category}]
    decision = {"case_id": case_id, "court_case_id": court_case_id, "court_province": province, "charges": charges}
    return {**decision, "verdict": verdict, "decided_on": on, **more}


async def test_an_analysts_split_holds_when_the_same_person_is_screened_again(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    """Linkage runs again at every screening; the analyst's decision is applied again after it."""
    settings = await registry_settings()
    screened, _ = events
    shared = _key("keo vanna|1990")
    first, namesake, later = sorted(_case() for _ in range(3))
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        screened(first, [_key("keo vanna|1990-02-03"), shared], "NGO"),
        screened(namesake, [_key("keo vanna|1990-11-20"), shared], "MOSVY"),
    )
    async with running(build(settings)) as client:
        await _projected(settings, 2)
        split = await client.post(
            "/records/split",
            json={"case_id": namesake, "reason": "two people: different birth dates, confirmed by interview"},
            headers=auth("ncct-statistics-system"),
        )
        await publish(
            settings.kafka_bootstrap,
            settings.topic_namespace,
            screened(later, [_key("keo vanna|1990-02-03"), shared], "MOI-AHTJP"),
        )
        await _projected(settings, 3)
        records = {
            case: await scalar(settings, "SELECT national_record_id FROM case_facts WHERE case_id = :c", c=case)
            for case in (first, namesake, later)
        }

    assert split.status_code == 200, split.text
    assert [(link["case_id"], link["certainty"]) for link in split.json()["links"]] == [(namesake, "certain")]
    assert records[namesake] != records[first] == records[later]


async def _snapshot(settings: RegistrySettings) -> dict[str, list[Any]]:
    engine = create_async_engine(
        async_url(settings.database_url), connect_args={"server_settings": {"search_path": settings.schema_name}}
    )
    try:
        async with engine.connect() as connection:
            return {
                table: [
                    tuple(row)
                    for row in (await connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1, 2"))).all()
                ]
                for table in ("timeline_entry", "case_facts", "match_key")
            }
    finally:
        await engine.dispose()


async def test_a_rebuild_from_offset_zero_equals_the_live_state(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    settings = await registry_settings()
    screened, identified = events
    a, b, c = _case(), _case(), _case()
    await publish(
        settings.kafka_bootstrap,
        settings.topic_namespace,
        screened(a, [_key("a|1"), _key("a|2")], "NGO"),
        screened(b, [_key("b|1"), _key("b|2")], "MOI-AHTJP"),
        screened(c, [_key("a|2")], "MOSVY"),
        identified(a),
        identified(b),
    )
    async with running(build(settings)) as client:
        await _projected(settings, 5)
        merged = await client.post(
            "/records/merge",
            json={"case_ids": [a, b], "reason": "same person: confirmed by MoSVY interview"},
            headers=auth("ncct-statistics-system"),
        )
        assert merged.status_code == 200, merged.text
    live = await _snapshot(settings)

    seconds = await rebuild(settings)

    assert await _snapshot(settings) == live
    assert seconds > 0
    assert len(live["case_facts"]) == 3


async def test_editing_one_audit_row_is_named_by_the_verification(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    settings = await registry_settings()
    _, identified = events
    cases = [_case() for _ in range(3)]
    await publish(settings.kafka_bootstrap, settings.topic_namespace, *(identified(case) for case in cases))
    async with running(build(settings)) as client:
        await _projected(settings, 3)
        for case in cases:
            read = await client.get(
                f"/cases/{case}/timeline", params={"purpose": "determination review"}, headers=auth("mosvy-case-system")
            )
            assert read.status_code == 200
            assert [entry["type"] for entry in read.json()["entries"]] == ["kh.spean.case.identified.v1"]
        intact = (await client.get("/audit/verify", headers=auth("operations-console"))).json()
        second = await scalar(settings, "SELECT min(id) + 1 FROM audit_log")
        await tamper(settings, "UPDATE audit_log SET purpose = 'nothing to see' WHERE id = :id", id=second)
        broken = (await client.get("/audit/verify", headers=auth("operations-console"))).json()
        listed = (await client.get("/audit", headers=auth("operations-console"))).json()
        of_one_case = (
            await client.get("/audit", params={"case_id": cases[1]}, headers=auth("operations-console"))
        ).json()
        refused = await client.get("/audit", headers=auth("mosvy-case-system"))
        by_agency = [
            len((await client.get("/audit", params={"agency": a}, headers=auth("operations-console"))).json())
            for a in ("MOSVY", "MOI-AHTJP")
        ]
        from_broken = await client.get("/audit", params={"from_entry": second}, headers=auth("operations-console"))

    assert (intact["entries"], intact["valid"], intact["first_broken_entry"]) == (3, True, None)
    assert (broken["entries"], broken["valid"], broken["first_broken_entry"]) == (3, False, second)
    assert [(entry["id"], entry["target"], entry["purpose"]) for entry in listed][1] == (
        second,
        cases[1],
        "nothing to see",
    )
    assert [entry["hash"] for entry in listed][-1] == intact["last_hash"]
    assert [(entry["action"], entry["target"]) for entry in of_one_case] == [("timeline-read", cases[1])]
    assert refused.status_code == 403
    assert by_agency == [3, 0]
    assert [(entry["id"], entry["purpose"]) for entry in from_broken.json()] == [
        (second, "nothing to see"),
        (second + 1, "determination review"),
    ]


EARLIER_REPORTS = """
INSERT INTO case_facts (case_id, national_record_id, certainty, exploitation_types, identified, referred,
                        repatriated, prosecuted, convicted)
SELECT 'case-old-' || k || '-' || n, 'nr-old-' || k || '-' || n, 'certain', '[]', false, false, false, false,
       false
FROM generate_series(1, 2000) AS k, generate_series(1, 16) AS n;
INSERT INTO match_key (key, case_id)
SELECT 'key-' || k, 'case-old-' || k || '-' || n FROM generate_series(1, 2000) AS k, generate_series(1, 16) AS n;
"""


async def test_a_batch_of_screenings_each_linked_to_many_earlier_reports_is_linked_whole(
    registry_settings: Callable[..., Awaitable[RegistrySettings]],
) -> None:
    """2,000 screenings (a consumer's batch), each sharing a key with 16 earlier reports: 34,000 cases
    to relink at once, more than PostgreSQL takes parameters in one statement."""
    settings = await registry_settings()
    app = build(settings)
    async with running(app), app.state.runtime.sessions() as session, session.begin():
        for statement in EARLIER_REPORTS.strip().split(";\n"):
            await session.execute(sa.text(statement))
        screened = [(f"case-new-{k}", [f"key-{k}"]) for k in range(1, 2001)]
        await session.execute(
            sa.text(
                "INSERT INTO case_facts (case_id, national_record_id, certainty, exploitation_types, identified, "
                "referred, repatriated, prosecuted, convicted) "
                "SELECT c, 'nr-' || c, 'certain', '[]', false, false, false, false, false FROM unnest(:c) c"
            ).bindparams(sa.bindparam("c", type_=sa.ARRAY(sa.String))),
            {"c": [case_id for case_id, _ in screened]},
        )
        await link(session, screened)

    # Each new report joined the record of the 16 earlier ones sharing its key: one record per key.
    assert await scalar(settings, "SELECT count(DISTINCT national_record_id) FROM case_facts") == 2000
    assert await scalar(settings, "SELECT count(*) FROM case_facts WHERE certainty = 'probable'") == 34000


async def test_two_replicas_linking_reports_of_one_person_at_once_make_one_record(
    registry_settings: Callable[..., Awaitable[RegistrySettings]],
) -> None:
    """Two reports of one person, screened by two agencies, are on two partitions, which two replicas of
    the registry project at the same moment: neither may miss the other's key."""
    settings = await registry_settings()
    app = build(settings)
    async with running(app):
        sessions = app.state.runtime.sessions
        async with sessions() as session, session.begin():
            await session.execute(
                sa.text(
                    "INSERT INTO case_facts (case_id, national_record_id, certainty, exploitation_types, "
                    "identified, referred, repatriated, prosecuted, convicted) "
                    "VALUES ('case-police', 'nr-police', 'certain', '[]', false, false, false, false, false), "
                    "('case-ngo', 'nr-ngo', 'certain', '[]', false, false, false, false, false)"
                )
            )

        async def other_replica() -> None:
            async with sessions() as session, session.begin():
                await link(session, [("case-ngo", ["key-same-person"])])

        async with sessions() as session, session.begin():
            await link(session, [("case-police", ["key-same-person"])])
            other = asyncio.create_task(other_replica())
            await asyncio.sleep(0.5)  # the other replica's batch runs while this one has yet to commit
        await other

    assert await scalar(settings, "SELECT count(DISTINCT national_record_id) FROM case_facts") == 1


async def test_research_records_hold_each_consenting_person_and_none_anyone_could_single_out(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    """Four women who consented to research, alike in what an outsider may know of them (their province is
    left out), are in the research records; one who withdrew her consent, one whose data was lawfully
    erased, one who gave it for sharing only, and the one man (whom anyone who knows him could tell) are
    not. The records name no case, and each extract is audited with its purpose."""
    settings = await registry_settings(small_cell_threshold=3)
    _, identified = events
    alike, elsewhere, withdrew, erased, sharing_only, alone = [_case() for _ in range(3)], *(_case() for _ in range(5))
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

    def consent(case_id: str, purpose: str = "research", given: bool = True, days: int = 0) -> ConsentRecorded:
        recorded = {"recorded_at": (at + timedelta(days=days)).isoformat(), "purpose": purpose, "given": given}
        return ConsentRecorded.model_validate(
            EXAMPLES["identification.consent-recorded"][0] | recorded | {"case_id": case_id}
        )

    told: list[EventData] = [
        *(identified(case_id) for case_id in (*alike, withdrew, erased, sharing_only)),
        identified(elsewhere, province="KH-12"),
        identified(alone, sex="male"),
        *(consent(case_id) for case_id in (*alike, elsewhere, withdrew, erased, alone)),
        consent(withdrew, given=False, days=1),
        PersonalDataErased.model_validate({"case_id": erased, "erased_at": (at + timedelta(days=1)).isoformat()}),
        consent(sharing_only, purpose="sharing-agencies"),
    ]
    await publish(settings.kafka_bootstrap, settings.topic_namespace, *told)
    analyst, study = auth("ncct-statistics-system"), "reintegration outcomes study, RUPP 2026"
    async with running(build(settings)) as client:
        await _projected(settings, len(told))
        extract = await client.get("/research/records", params={"purpose": study}, headers=analyst)
        as_csv = await client.get("/research/records", params={"purpose": study, "format": "csv"}, headers=analyst)
        unstated = await client.get("/research/records", headers=analyst)
        by_provider = await client.get(
            "/research/records", params={"purpose": study}, headers=auth("ngo-shelter-system")
        )
        trail = (await client.get("/audit", headers=auth("operations-console"))).json()

    assert extract.status_code == 200, extract.text
    records = extract.json()["records"]
    assert (len(records), extract.json()["withheld"]) == (4, 1)
    assert {(r["sex"], r["province"], r["outcome"], tuple(r["exploitation_types"])) for r in records} == {
        ("female", None, "trafficking-victim", ("sexual",))
    }
    assert not any(case_id in extract.text for case_id in (*alike, elsewhere, withdrew, erased, sharing_only, alone))
    assert as_csv.text.splitlines()[0].startswith("year,province,sex,age_band,nationality")
    assert len(as_csv.text.splitlines()) == 1 + 4
    assert (unstated.status_code, broken(unstated)) == (422, [("query.purpose", "purpose_required")])
    assert by_provider.status_code == 403
    assert [(entry["action"], entry["purpose"]) for entry in trail] == [("research-records-read", study)] * 2


async def test_persons_identified_again_months_after_a_first_identification_are_counted_as_trafficked_again(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    """Two persons identified by the police, then again by an NGO eight months later, were trafficked
    again; two whom the police and a shelter identified ten days apart were not: it was one exploitation,
    reported twice. A person identified once is neither."""
    settings = await registry_settings(small_cell_threshold=2)
    screened, identified = events
    first = datetime(2025, 3, 2, 2, 0, tzinfo=UTC)
    told: list[EventData] = []
    for person, later in (("again-1", 240), ("again-2", 240), ("twice-1", 10), ("twice-2", 10), ("once", None)):
        keys = [_key(f"{person}|{uuid.uuid4()}")]
        for agency, days in (("MOI-AHTJP", 0), *((("NGO", later),) if later is not None else ())):
            case_id = _case()
            told.append(screened(case_id, keys, agency, at=first + timedelta(days=days)))
            told.append(identified(case_id).model_copy(update={"identified_at": first + timedelta(days=days)}))
    await publish(settings.kafka_bootstrap, settings.topic_namespace, *told)
    analyst = auth("ncct-statistics-system")
    async with running(build(settings)) as client:
        await _projected(settings, len(told))
        again = await _figures(client, analyst, "identified_again", "year")
        identified_persons = await _figures(client, analyst, "identified", "year")

    assert again == {"2025": 2}, "in the year of the later identification, 2025 in Cambodia"
    assert identified_persons == {"2025": 5}


async def test_analysts_review_the_records_holding_a_probable_link_until_they_decide_them(
    registry_settings: Settings, auth: Auth, events: Events
) -> None:
    """Two persons each reported by the police and, with the birth year alone, by MoSVY: the registry
    linked them as probable, which an analyst finds in the queue, a page at a time, with what each report
    says of the person. Once merged (confirmed) or split, the record leaves the queue; a person linked
    with certainty is never in it."""
    settings = await registry_settings()
    screened, _ = events
    told: list[EventData] = []
    pairs = []
    for person in ("sok dara|1998", "chan sophea|2001"):
        police, mosvy = _case(), _case()
        told += [screened(police, [_key(f"{person}-04-01"), _key(person)], "MOI-AHTJP")]
        told += [screened(mosvy, [_key(person)], "MOSVY", province="KH-12")]
        pairs.append((police, mosvy))
    certain = [_case(), _case()]
    keys = [_key("keo mony|1990-01-01"), _key("keo mony|1990")]
    told += [screened(certain[0], keys, "NGO"), screened(certain[1], keys, "MOSVY")]
    await publish(settings.kafka_bootstrap, settings.topic_namespace, *told)
    analyst = auth("ncct-statistics-system")
    async with running(build(settings)) as client:
        await _projected(settings, len(told))
        first = await client.get("/records", params={"certainty": "probable", "limit": 1}, headers=analyst)
        second = await client.get(first.links["next"]["url"], headers=analyst)
        everything = (await client.get("/records", headers=analyst)).json()
        (confirmed, taken_out) = pairs
        merged = await client.post(
            "/records/merge",
            json={"case_ids": list(confirmed), "reason": "same village and family, confirmed"},
            headers=analyst,
        )
        split = await client.post(
            "/records/split",
            json={"case_id": taken_out[1], "reason": "another woman of the same name"},
            headers=analyst,
        )
        after = (await client.get("/records", params={"certainty": "probable"}, headers=analyst)).json()
        by_provider = await client.get("/records", params={"certainty": "probable"}, headers=auth("ngo-shelter-system"))

    queued = [*first.json(), *second.json()]
    assert "next" not in second.links
    assert sorted(tuple(sorted(link["case_id"] for link in record["links"])) for record in queued) == sorted(
        tuple(sorted(pair)) for pair in pairs
    )
    for record in queued:
        assert {(link["agency"], link["province"], link["certainty"]) for link in record["links"]} == {
            ("MOI-AHTJP", "KH-1", "probable"),
            ("MOSVY", "KH-12", "probable"),
        }
    assert len(everything) == 3, "the two probable records and the certain one"
    assert (merged.status_code, split.status_code) == (200, 200)
    assert after == []
    assert by_provider.status_code == 403
