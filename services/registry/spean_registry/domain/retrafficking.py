"""Who was trafficked again: a person identified as a victim in one case and again in another, long enough
after. Two agencies reporting one person within weeks (the police's raid, then the shelter's intake) report
the same exploitation; identified again three months or more after an earlier identification, the person
was trafficked again, whom care and reintegration did not keep safe."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

AGAIN_AFTER = timedelta(days=90)


def identified_again(identifications: Iterable[datetime]) -> bool:
    """Whether the person's identifications (one per case) include one `AGAIN_AFTER` or more after another."""
    moments = list(identifications)
    return bool(moments) and max(moments) - min(moments) >= AGAIN_AFTER
