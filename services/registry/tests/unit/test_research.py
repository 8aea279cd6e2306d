"""Who is in the research records, and what a person's record says, without servers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spean_contracts import events as e
from spean_contracts.examples import EXAMPLES
from spean_registry.adapters.tables import CaseFacts
from spean_registry.domain.anonymity import k_anonymous
from spean_registry.projection import apply_facts
from spean_registry.research import Report, consents, record_of

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _case(case_id: str) -> CaseFacts:
    return CaseFacts(case_id=case_id, national_record_id="nr-0001-research", certainty="certain")


def _consent(given: bool, hours: int = 0) -> e.ConsentRecorded:
    recorded = {"purpose": "research", "given": given, "recorded_at": (AT + timedelta(hours=hours)).isoformat()}
    return e.ConsentRecorded.model_validate(EXAMPLES["identification.consent-recorded"][0] | recorded)


def test_a_record_is_released_only_where_k_records_share_what_is_known_of_the_person() -> None:
    records = [("2025", "KH-1")] * 3 + [("2025", "KH-12")] * 2 + [("2026", "KH-1")]
    released = k_anonymous(records, lambda record: record, 3)
    assert (released.records, released.withheld) == ([("2025", "KH-1")] * 3, 3)


def test_the_latest_consent_to_research_is_in_force_whatever_order_it_arrives_in() -> None:
    told = [_consent(True), _consent(False, hours=1), _consent(True, hours=2), _consent(False, hours=2)]
    in_order, reversed_order = _case("case-0001-order"), _case("case-0002-order")
    for data in told:
        apply_facts(in_order, data)
    for data in reversed(told):
        apply_facts(reversed_order, data)
    for facts in (in_order, reversed_order):
        assert (facts.research_consent, facts.research_consent_at) == (False, AT + timedelta(hours=2))


def test_a_lawful_erasure_takes_the_person_out_of_research_as_a_withdrawal_would() -> None:
    facts = _case("case-0012-erased")
    apply_facts(facts, _consent(True))
    apply_facts(
        facts, e.PersonalDataErased.model_validate({"case_id": facts.case_id, "erased_at": AT + timedelta(days=1)})
    )
    apply_facts(facts, _consent(True, hours=1))
    assert (facts.research_consent, facts.research_consent_at) == (False, AT + timedelta(days=1))


def test_a_person_reported_by_two_agencies_is_in_while_their_latest_consent_is_given() -> None:
    police = Report("case-0003-police", research_consent=True, research_consent_at=AT)
    ngo = Report("case-0004-ngo")
    assert consents([police, ngo])
    ngo = ngo._replace(research_consent=False, research_consent_at=AT + timedelta(days=1))
    assert not consents([police, ngo])
    police = police._replace(research_consent_at=AT + timedelta(days=2))
    assert consents([police, ngo])
    assert not consents([Report("case-0005-silent")])


def test_a_persons_record_joins_what_every_agency_reported() -> None:
    first = Report(
        "case-0006-first",
        year=2025,
        province="KH-1",
        outcome="vulnerable-person",
        exploitation_types=["forced-labour"],
        referred=True,
        referred_at=AT + timedelta(days=40),
        placement_wait="over-30",
    )
    later = Report(
        "case-0007-later",
        year=2026,
        province="KH-12",
        outcome="trafficking-victim",
        exploitation_types=["sexual", "forced-labour"],
        referred=True,
        referred_at=AT,
        placement_wait="0-2",
        care_outcomes=["re-trafficked"],
    )
    record = record_of([later, first])
    assert (record.year, record.province, record.outcome) == (2025, "KH-1", "trafficking-victim")
    assert record.exploitation_types == ["forced-labour", "sexual"]
    assert (record.referred, record.days_to_placement, record.care_outcomes) == (True, "0-2", ["re-trafficked"])


def test_a_person_identified_again_months_later_was_trafficked_again_not_one_reported_twice() -> None:
    police = Report("case-0008-police", identified=True, identified_at=AT)
    shelter = Report("case-0009-shelter", identified=True, identified_at=AT + timedelta(days=10))
    months_later = Report("case-0010-again", identified=True, identified_at=AT + timedelta(days=90))
    found_vulnerable = Report("case-0011-vulnerable", identified=False, identified_at=AT + timedelta(days=200))
    assert not record_of([police, shelter, found_vulnerable]).identified_again
    assert record_of([police, shelter, months_later]).identified_again
