"""What events tell the statistics about a case, without servers."""

from __future__ import annotations

import pytest

from spean_contracts import events as e
from spean_contracts.examples import EXAMPLES
from spean_contracts.fields import EventData
from spean_contracts.registry import CATALOGUE
from spean_registry.adapters.tables import CaseFacts
from spean_registry.projection import apply_facts

# 01:30 on 1 January 2026 in Phnom Penh: still 2025 in UTC.
NEW_YEARS_NIGHT = "2025-12-31T18:30:00Z"


@pytest.mark.parametrize(
    ("model", "name", "at"),
    [
        (e.ScreeningRecorded, "identification.screening-recorded", "screened_at"),
        (e.CaseIdentified, "case.identified", "identified_at"),
        (e.VulnerablePersonIdentified, "identification.vulnerable-person-identified", "identified_at"),
    ],
)
def test_a_person_met_on_new_years_night_in_cambodia_counts_in_the_new_year(
    model: type[EventData], name: str, at: str
) -> None:
    facts = CaseFacts(case_id="case-0001-new-year", national_record_id="nr-0001-new-year", certainty="own")
    apply_facts(facts, model.model_validate(EXAMPLES[name][0] | {at: NEW_YEARS_NIGHT}))
    assert facts.year == 2026


def test_a_case_is_counted_screened_in_the_year_of_its_first_screening_and_otherwise_when_identified() -> None:
    facts = CaseFacts(case_id="case-0002-screened", national_record_id="nr-0002-screened", certainty="own")
    screening = EXAMPLES["identification.screening-recorded"][0]
    for data in (
        e.ScreeningRecorded.model_validate(screening | {"screened_at": "2025-12-20T03:00:00Z"}),
        e.CaseIdentified.model_validate(EXAMPLES["case.identified"][0] | {"identified_at": "2026-01-05T03:00:00Z"}),
        e.ScreeningRecorded.model_validate(screening | {"screened_at": "2026-02-01T03:00:00Z"}),
    ):
        apply_facts(facts, data)
    assert (facts.screened_year, facts.year) == (2025, 2026)


def test_every_deadline_breach_the_services_publish_is_counted() -> None:
    facts = CaseFacts(case_id="case-0003-breached", national_record_id="nr-0003-breached", certainty="own")
    breaches = [spec for spec in CATALOGUE if spec.name.endswith("deadline-breached")]
    for spec in breaches:
        apply_facts(facts, spec.model.model_validate(EXAMPLES[spec.name][0]))
    assert [spec.name.split(".")[0] for spec in breaches] == [
        "identification",
        "referral",
        "referral",
        "referral",
        "referral",
        "repatriation",
    ]
    assert facts.breached_deadlines == [
        "determination",
        "provider-response",
        "follow-up",
        "monitoring-visit",
        "placement",
        "verification",
    ]


def test_every_service_gap_is_counted_under_the_need_unmet() -> None:
    facts = CaseFacts(case_id="case-0005-unmet", national_record_id="nr-0005-unmet", certainty="own")
    gap = EXAMPLES["referral.service-gap-recorded"][0]
    for need in ("shelter", "legal", "shelter"):
        apply_facts(facts, e.ServiceGapRecorded.model_validate(gap | {"need": need}))
    assert facts.gap_needs == ["shelter", "legal", "shelter"]


def test_a_persons_wait_for_care_is_known_whichever_of_its_ends_is_told_first() -> None:
    facts = CaseFacts(case_id="case-0006-placed", national_record_id="nr-0006-placed", certainty="own")
    apply_facts(
        facts, e.CaseReferred.model_validate(EXAMPLES["case.referred"][0] | {"referred_at": "2026-03-12T03:00:00Z"})
    )
    apply_facts(
        facts,
        e.CaseIdentified.model_validate(EXAMPLES["case.identified"][0] | {"identified_at": "2026-03-02T03:00:00Z"}),
    )
    assert facts.placement_wait == "7-30"


def test_a_person_is_counted_returned_in_the_year_of_the_first_handover() -> None:
    facts = CaseFacts(case_id="case-0004-returned", national_record_id="nr-0004-returned", certainty="own")
    returned = EXAMPLES["case.repatriated"][0]
    for at in ("2026-12-31T18:30:00Z", "2028-03-01T03:00:00Z"):
        apply_facts(facts, e.CaseRepatriated.model_validate(returned | {"repatriated_at": at}))
    assert (facts.repatriated_year, facts.year) == (2027, None)
