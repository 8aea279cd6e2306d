"""What events tell the statistics about a case, without servers."""

from __future__ import annotations

import pytest

from spean_contracts import events as e
from spean_contracts.examples import EXAMPLES
from spean_contracts.fields import EventData
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
