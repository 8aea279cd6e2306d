"""Which deadline of the referral mechanism a breach event says was missed, in one word per deadline, so
that NCCT can count where the mechanism loses time: identification's stages, a provider's answer to an
offer, a follow-up run past its length or without a visit, a person not placed in care in time, and the
SOP's deadlines."""

from __future__ import annotations

from spean_contracts import events as e
from spean_contracts.fields import EventData

REFERRAL = {
    e.ReferralDeadlineBreached: "provider-response",
    e.FollowUpDeadlineBreached: "follow-up",
    e.VisitDeadlineBreached: "monitoring-visit",
    e.PlacementDeadlineBreached: "placement",
}


def missed_deadline(data: EventData) -> str | None:
    """The deadline a breach event names; None for any other event."""
    if isinstance(data, e.IdentificationDeadlineBreached):
        return data.stage
    if isinstance(data, e.RepatriationDeadlineBreached):
        return data.deadline
    return REFERRAL.get(type(data))
