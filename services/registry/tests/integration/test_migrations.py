"""A registry deployed before the court figures counted by year (or by sentence) takes them from the
decisions its timeline already holds, every one of them, not only each court case's latest; one deployed
before cases were counted by their year in Cambodia, screenings by the year of the first and returns by
the year of the first handover, counts them again so; and it counts the deadline breaches by the deadline
missed, the service gaps by the need unmet, the referred and repatriated persons by their waits for care
and for the return, and everyone by the latest screening's encounter and situation; it knows who
consented to research from the consents its timeline holds; no case a split left alone waits for
review; and an audit entry names every case of a merge."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import orjson

from spean_contracts.examples import EXAMPLES
from spean_kit.database import migrate
from spean_registry.app import MIGRATIONS
from spean_registry.settings import RegistrySettings
from tests.support.app import scalar
from tests.support.migrations import written_at

RECORDED = (
    "INSERT INTO timeline_entry (event_id, case_id, type, source, at, data)"
    " SELECT event_id, 'case-0001-migrated', 'kh.spean.prosecution.court-outcome-recorded.v1', '/spean/registry/MOJ',"
    " now(), data::jsonb FROM unnest($1::text[], $2::text[]) AS recorded(event_id, data)"
)


def _decision(verdict: str, decided_on: str, **more: object) -> str:
    charges = [
        {"law_article": "Criminal Code art. 239", "category": "rape"},
        {"law_article": "2008 LSHTSE art. 15", "category": "trafficking"},
    ]
    return orjson.dumps(
        {
            "case_id": "case-0001-migrated",
            "court_case_id": "court-bmc-2024-0009",
            "court_province": "KH-1",
            "charges": charges,
            "verdict": verdict,
            "settlement": False,
            "restitution_ordered_khr": 4_000_000,
            "restitution_paid_khr": 0,
            "defendant_absconded": verdict == "pending",
            "decided_on": decided_on,
            **more,
        }
    ).decode()


async def test_upgrading_counts_each_court_case_by_the_years_of_its_decisions(
    registry_settings: Callable[..., Awaitable[RegistrySettings]],
) -> None:
    settings = await registry_settings()
    decisions = [
        _decision("pending", "2024-03-01"),
        _decision("pending", "2024-10-01"),
        _decision("convicted", "2025-02-01", sentence_months=96),
    ]
    event_ids = [f"evt-000{n}-court-decision" for n in range(len(decisions))]
    await written_at(settings, MIGRATIONS, "0007", RECORDED, event_ids, decisions)

    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)

    counted = (
        "SELECT string_agg(concat_ws(' ', year, verdict, decided_on, category, absconded, restitution_ordered,"
        " sentence), ', ' ORDER BY year) FROM court_year"
    )
    # Each year keeps its last decision, under the most serious charge, with its sentence's band.
    expected = "2024 pending 2024-10-01 trafficking t t none, 2025 convicted 2025-02-01 trafficking f t 7-to-15-years"
    assert await scalar(settings, counted) == expected


SCREENED_IN_UTC = (
    "WITH screening AS ("
    "  INSERT INTO timeline_entry (event_id, case_id, type, source, at, data)"
    "  VALUES ('evt-0001-new-year', 'case-0001-new-year', 'kh.spean.identification.screening-recorded.v1',"
    "    '/spean/identification/MOSVY-POIPET-TC', '2025-12-31T18:30:00Z', $1::jsonb) RETURNING case_id"
    ") INSERT INTO case_facts (case_id, national_record_id, certainty, exploitation_types, year, screened,"
    "  identified, referred, repatriated, prosecuted, convicted, service_gaps, deadline_breaches)"
    " SELECT case_id, 'nr-0001-new-year', 'own', '[]', 2025, true, false, false, false, false, false, 0, 0"
    " FROM screening"
)


async def test_upgrading_counts_a_person_screened_on_new_years_night_in_cambodia_in_the_new_year(
    registry_settings: Callable[..., Awaitable[RegistrySettings]],
) -> None:
    """01:30 on 1 January in Phnom Penh, 18:30 on 31 December in UTC: an older release counted 2025."""
    settings = await registry_settings()
    screening = EXAMPLES["identification.screening-recorded"][0] | {"case_id": "case-0001-new-year"}
    at_new_year = orjson.dumps(screening | {"screened_at": "2025-12-31T18:30:00Z"}).decode()
    await written_at(settings, MIGRATIONS, "0008", SCREENED_IN_UTC, at_new_year)

    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)

    counted = "SELECT concat_ws(' ', year, screened_year) FROM case_facts WHERE case_id = 'case-0001-new-year'"
    assert await scalar(settings, counted) == "2026 2026", "as the person's year, and as the screenings' year"


RETURNED = (
    "WITH returned AS ("
    "  INSERT INTO timeline_entry (event_id, case_id, type, source, at, data)"
    "  VALUES ('evt-0002-returned', 'case-0002-returned', 'kh.spean.case.repatriated.v1',"
    "    '/spean/repatriation/MOSVY', '2025-12-31T18:30:00Z', $1::jsonb) RETURNING case_id"
    ") INSERT INTO case_facts (case_id, national_record_id, certainty, exploitation_types, screened,"
    "  identified, referred, repatriated, returned_to, prosecuted, convicted, service_gaps, deadline_breaches)"
    " SELECT case_id, 'nr-0002-returned', 'own', '[]', false, false, false, true, 'KHM', false, false, 0, 0"
    " FROM returned"
)


async def test_upgrading_counts_a_person_returned_by_the_year_of_the_return(
    registry_settings: Callable[..., Awaitable[RegistrySettings]],
) -> None:
    """A Cambodian handed over at 01:30 on 1 January, never identified here: counted in no year before."""
    settings = await registry_settings()
    returned = EXAMPLES["case.repatriated"][0] | {"case_id": "case-0002-returned"}
    at_new_year = orjson.dumps(returned | {"repatriated_at": "2025-12-31T18:30:00Z"}).decode()
    await written_at(settings, MIGRATIONS, "0010", RETURNED, at_new_year)

    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)

    assert (
        await scalar(settings, "SELECT repatriated_year FROM case_facts WHERE case_id = 'case-0002-returned'") == 2026
    )


BREACHED = (
    "WITH breached AS ("
    "  INSERT INTO timeline_entry (event_id, case_id, type, source, at, data)"
    "  SELECT event_id, 'case-0003-breached', type, '/spean/test/MOSVY', at::timestamptz, data::jsonb"
    "  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS told(event_id, type, at, data)"
    "  RETURNING case_id"
    ") INSERT INTO case_facts (case_id, national_record_id, certainty, exploitation_types, screened,"
    "  identified, referred, repatriated, prosecuted, convicted, service_gaps, deadline_breaches)"
    " SELECT DISTINCT case_id, 'nr-0003-breached', 'own', '[]'::jsonb, true, true, false, false, false, false, 1, 3"
    " FROM breached"
)


SCREENED_BEFORE = {"screened_at": "2025-12-29T00:00:00Z", "encounter": "police-operation", "continuum": "B"}
SCREENED_AGAIN = {"screened_at": "2026-04-01T00:00:00Z", "encounter": "repatriation", "continuum": "D"}
# A consent to research withdrawn, then one given a month before told late, and one for another purpose.
WITHDRAWN = {"purpose": "research", "given": False, "recorded_at": "2026-02-01T00:00:00Z"}
GIVEN_BEFORE = {"purpose": "research", "given": True, "recorded_at": "2026-01-01T00:00:00Z"}
IMAGES = {"purpose": "images", "given": True, "recorded_at": "2026-03-01T00:00:00Z"}


async def test_upgrading_counts_what_was_told_before_by_deadline_need_wait_and_how_care_ended(
    registry_settings: Callable[..., Awaitable[RegistrySettings]],
) -> None:
    settings = await registry_settings()
    told = [
        ("kh.spean.repatriation.deadline-breached.v1", "2026-03-01T00:00:00Z", {"deadline": "verification"}),
        ("kh.spean.identification.deadline-breached.v1", "2026-01-01T00:00:00Z", {"stage": "determination"}),
        ("kh.spean.referral.deadline-breached.v1", "2026-02-01T00:00:00Z", {"referral_id": "ref-0001-offer"}),
        ("kh.spean.referral.service-gap-recorded.v1", "2026-02-02T00:00:00Z", {"need": "shelter"}),
        ("kh.spean.case.identified.v1", "2025-12-30T00:00:00Z", {"identified_at": "2025-12-30T00:00:00Z"}),
        ("kh.spean.case.referred.v1", "2026-01-09T00:00:00Z", {"referred_at": "2026-01-09T00:00:00Z"}),
        ("kh.spean.repatriation.requested.v1", "2026-01-10T00:00:00Z", {"at": "2026-01-10T00:00:00Z"}),
        ("kh.spean.case.repatriated.v1", "2026-03-01T00:00:00Z", {"repatriated_at": "2026-03-01T00:00:00Z"}),
        ("kh.spean.identification.screening-recorded.v1", "2025-12-29T00:00:00Z", SCREENED_BEFORE),
        ("kh.spean.identification.screening-recorded.v1", "2026-04-01T00:00:00Z", SCREENED_AGAIN),
        ("kh.spean.referral.closed.v1", "2026-05-01T00:00:00Z", {"status": "ClosedReferred"}),
        ("kh.spean.referral.closed.v1", "2026-06-01T00:00:00Z", {"status": "Closed", "outcome": "lost-contact"}),
        ("kh.spean.identification.consent-recorded.v1", "2026-02-02T00:00:00Z", WITHDRAWN),
        ("kh.spean.identification.consent-recorded.v1", "2026-02-03T00:00:00Z", GIVEN_BEFORE),
        ("kh.spean.identification.consent-recorded.v1", "2026-03-01T00:00:00Z", IMAGES),
    ]
    await written_at(
        settings,
        MIGRATIONS,
        "0012",
        BREACHED,
        [f"evt-000{n}-breach" for n in range(len(told))],
        [event_type for event_type, _, _ in told],
        [at for _, at, _ in told],
        [orjson.dumps(data).decode() for _, _, data in told],
    )

    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)

    facts = (
        "SELECT jsonb_build_array(breached_deadlines, gap_needs, placement_wait, return_wait, encounter, continuum,"
        " care_outcomes, research_consent, research_consent_at::text)"
        " FROM case_facts"
        " WHERE case_id = 'case-0003-breached'"
    )
    missed, unmet, waited, returned, met, situation, ended, consenting, consented_at = await scalar(settings, facts)
    assert missed == ["determination", "provider-response", "verification"], "in the order they were told"
    assert unmet == ["shelter"]
    assert waited == "7-30", "ten days from identification to care"
    assert returned == "30-60", "50 days from the request to the handover"
    assert (met, situation) == ("repatriation", "D"), "the latest screening's, on arrival home"
    assert ended == ["lost-contact"], "a referral referred on is no closure of care"
    assert (consenting, consented_at) == (False, "2026-02-01 00:00:00+00"), "the latest consent, not the last told"


LINKED_BEFORE = (
    "INSERT INTO case_facts (case_id, national_record_id, certainty, exploitation_types, identified, referred,"
    " repatriated, prosecuted, convicted) SELECT linked.case_id, linked.record, 'probable', '[]', false, false,"
    " false, false, false FROM unnest($1::text[], $2::text[]) AS linked(case_id, record)"
)


async def test_upgrading_leaves_no_case_alone_in_its_record_for_analysts_to_review(
    registry_settings: Callable[..., Awaitable[RegistrySettings]],
) -> None:
    """A split made before left the case it split from alone and still probable: it would sit in the
    analysts' queue with nothing to review. Two cases still linked by a looser key stay in it."""
    settings = await registry_settings()
    cases = ["case-0001-left-alone", "case-0002-linked", "case-0003-linked"]
    records = ["nr-0001-left-alone", "nr-0002-linked", "nr-0002-linked"]
    await written_at(settings, MIGRATIONS, "0020", LINKED_BEFORE, cases, records)

    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)

    certainty = "SELECT jsonb_object_agg(case_id, certainty) FROM case_facts"
    assert await scalar(settings, certainty) == {
        "case-0001-left-alone": "certain",
        "case-0002-linked": "probable",
        "case-0003-linked": "probable",
    }


async def test_upgrading_lets_an_audit_entry_name_every_case_of_a_merge(
    registry_settings: Callable[..., Awaitable[RegistrySettings]],
) -> None:
    """An audit entry held 200 characters, five case ids: a merge of more failed. After the upgrade an entry
    names twenty."""
    settings = await registry_settings()
    await written_at(settings, MIGRATIONS, "0021", "ALTER TABLE audit_log ALTER COLUMN target TYPE varchar(200)")

    await migrate(settings.database_url, settings.schema_name, MIGRATIONS)

    twenty = ",".join(f"case-{n:032x}" for n in range(20))
    connection = await asyncpg.connect(settings.database_url, server_settings={"search_path": settings.schema_name})
    try:
        await connection.execute(
            "INSERT INTO audit_log (at, subject, agency, action, target, hash, previous_hash)"
            " VALUES (now(), 'analyst', 'NCCT', 'record-merge', $1, 'h', 'p')",
            twenty,
        )
    finally:
        await connection.close()
    assert await scalar(settings, "SELECT target FROM audit_log") == twenty
