"""The referral service's settings: the kit's, plus its procedure options."""

from __future__ import annotations

from pydantic import Field

from spean_kit.settings import ServiceSettings


class ReferralSettings(ServiceSettings):
    service_name: str = "referral"
    offer_response_hours: float = Field(default=48, description="How long a provider has to answer an offer.")
    follow_up_days: float = Field(
        default=365,
        gt=0,
        description="How long a case is followed up (the monitoring stage) before MoSVY reviews it, if not closed.",
    )
    visit_interval_days: float = Field(
        default=90,
        gt=0,
        description="How long a case followed up (monitoring) may go without a monitoring visit, counted from the "
        "stage's start or the day of the latest visit.",
    )
    placement_days: float = Field(
        default=7,
        gt=0,
        description="How long after the referral case opened the person should be in a provider's care.",
    )
    deadline_scan_seconds: float = 30
