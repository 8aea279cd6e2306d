"""How long a person waited between two moments of their case, in bands of days, each over its lower
bound and up to its upper one: from identification (or finding as a vulnerable person) to the first
provider's acceptance, since the referral mechanism exists so that nobody is lost between identification
and care (a placement deadline of 7 days, the default, holds for the bands up to `2-7`); and from the first
return request to the first handover, the whole of the SOP's procedure, whose joint reviews ask how long
it takes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Bands:
    bounds: tuple[tuple[int, str], ...]
    """Each band's upper bound in days, included, and its name, in increasing order."""
    over: str
    """The band beyond the last bound."""

    def of(self, start: datetime | None, end: datetime | None) -> str | None:
        """The wait's band, once both moments are known (events of a case may come in any order)."""
        if start is None or end is None:
            return None
        waited = end - start
        return next((band for bound, band in self.bounds if waited <= timedelta(days=bound)), self.over)


PLACEMENT = Bands(((2, "0-2"), (7, "2-7"), (30, "7-30")), "over-30")
RETURN = Bands(((30, "0-30"), (60, "30-60"), (90, "60-90")), "over-90")
