"""How long a person waited, in whole days between two moments of their case, in bands: from
identification (or finding as a vulnerable person) to the first provider's acceptance, since the referral
mechanism exists so that nobody is lost between identification and care (and where a placement deadline
is set, 7 days unless MoSVY sets another, the bands show how often it holds); and from the first return
request to the first handover, the whole of the SOP's procedure, whose joint reviews ask how long it takes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Bands:
    bounds: tuple[tuple[int, str], ...]
    """Each band's upper bound in whole days, included, and its name, in increasing order."""
    over: str
    """The band beyond the last bound."""

    def of(self, start: datetime | None, end: datetime | None) -> str | None:
        """The wait's band, once both moments are known (events of a case may come in any order)."""
        if start is None or end is None:
            return None
        days = max(0, (end - start).days)
        return next((band for bound, band in self.bounds if days <= bound), self.over)


PLACEMENT = Bands(((2, "0-2"), (7, "3-7"), (30, "8-30")), "over-30")
RETURN = Bands(((30, "0-30"), (60, "31-60"), (90, "61-90")), "over-90")
