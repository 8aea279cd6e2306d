"""What a deadline breach event says was late, in the words operators use."""

from __future__ import annotations

from typing import Any


def late(data: dict[str, Any]) -> str:
    """Identification names the late stage, repatriation the SOP deadline; a referral breach is always
    a provider's answer to an offer."""
    if "deadline" in data:
        return str(data["deadline"])
    if "stage" in data:
        return str(data["stage"])
    return "provider response" if "referral_id" in data else "deadline"
