"""The referral service's settings: the kit's, plus its procedure options."""

from __future__ import annotations

from pydantic import Field

from spean_kit.settings import ServiceSettings


class ReferralSettings(ServiceSettings):
    service_name: str = "referral"
    offer_response_hours: float = Field(default=48, description="How long a provider has to answer an offer.")
    deadline_scan_seconds: float = 30
