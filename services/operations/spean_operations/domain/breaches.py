"""What a deadline breach event says was late, in the words operators use."""

from __future__ import annotations

from typing import Any

FOLLOW_UP = "kh.spean.referral.follow-up-deadline-breached."
PLACEMENT = "kh.spean.referral.placement-deadline-breached."
VISIT = "kh.spean.referral.visit-deadline-breached."


def late(event_type: str, data: dict[str, Any]) -> str:
    """Identification names the late stage, repatriation the SOP deadline; referral's breaches are a
    provider's answer to an offer, a case's follow-up run past its length or without a visit, or a person not
    placed in care in time."""
    if "deadline" in data:
        return str(data["deadline"])
    if "stage" in data:
        return str(data["stage"])
    if event_type.startswith(FOLLOW_UP):
        return "follow-up"
    if event_type.startswith(PLACEMENT):
        return "placement"
    if event_type.startswith(VISIT):
        return "monitoring visit"
    return "provider response" if "referral_id" in data else "deadline"
