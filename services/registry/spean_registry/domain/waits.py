"""How long an identified person waited to be placed in care: whole days from their identification (or
finding as a vulnerable person) to the first provider's acceptance, in bands. The referral mechanism
exists so that nobody is lost between identification and care; the bands show how long the wait is,
and where a placement deadline is set (7 days unless MoSVY sets another), how often it holds."""

from __future__ import annotations

from datetime import datetime

# The band each upper bound (in whole days, included) closes; beyond the last, OVER.
BANDS = ((2, "0-2"), (7, "3-7"), (30, "8-30"))
OVER = "over-30"


def placement_wait(identified_at: datetime | None, referred_at: datetime | None) -> str | None:
    """The wait's band, once both moments are known (events of a case may come in any order)."""
    if identified_at is None or referred_at is None:
        return None
    days = max(0, (referred_at - identified_at).days)
    return next((band for bound, band in BANDS if days <= bound), OVER)
