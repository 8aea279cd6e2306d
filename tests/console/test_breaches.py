"""What the console says was late, for every deadline breach the services publish."""

from __future__ import annotations

from spean_contracts.examples import EXAMPLES
from spean_contracts.registry import CATALOGUE
from spean_operations.domain.breaches import late
from spean_operations.watch import BREACHES


def test_each_breach_names_what_was_late() -> None:
    said = {
        spec.name: late(f"kh.spean.{spec.name}.v1", EXAMPLES[spec.name][0])
        for spec in CATALOGUE
        if spec.model in BREACHES
    }
    assert said == {
        "identification.deadline-breached": "determination",
        "referral.deadline-breached": "provider response",
        "referral.follow-up-deadline-breached": "follow-up",
        "referral.placement-deadline-breached": "placement",
        "referral.visit-deadline-breached": "monitoring visit",
        "repatriation.deadline-breached": "verification",
    }
