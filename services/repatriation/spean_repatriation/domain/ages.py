"""What identification last told of a person's age, against the child status a return gives them.

Identification's events carry only an age band, never the age, so the years since can make a child an
adult without this service knowing it for sure. A child is presumed still one while the youngest age
the band allows, grown by the whole years since, is under 18; only a document (a birth date in the
person sent) or identification itself says otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from spean_contracts.fields import whole_years
from spean_contracts.sop import ADULT_AT, Person
from spean_contracts.vocabulary import AgeBand

# The band a person's age falls in says at least this much of it; an unknown band says nothing.
YOUNGEST_IN = {
    AgeBand.UNDER_12: 0,
    AgeBand.TEEN: 12,
    AgeBand.YOUNG_ADULT: 18,
    AgeBand.ADULT: 25,
    AgeBand.MIDDLE: 35,
    AgeBand.OLDER: 50,
    AgeBand.UNKNOWN: 0,
}


@dataclass(frozen=True)
class KnownAge:
    """Identification's latest word on the case's age: a child or not on `as_of`, in `age_band`, by MoSVY's
    age assessment (`assessed`) or as screened."""

    is_child: bool
    age_band: AgeBand
    as_of: date
    assessed: bool

    def may_still_be_child(self, today: date) -> bool:
        return self.is_child and YOUNGEST_IN[self.age_band] + whole_years(self.as_of, today) < ADULT_AT

    def how(self) -> str:
        by = "MoSVY's age assessment" if self.assessed else "the screening"
        return f"a child (age band {self.age_band.value}) by {by} of {self.as_of.isoformat()}"


def presumed_child(known: KnownAge, person: Person, today: date) -> bool:
    """The person sent as an adult on no birth date, whom identification knows as a child who may still be
    one: the return must treat them as a child, with a child's safeguards."""
    return not person.is_child and person.birth_date is None and known.may_still_be_child(today)
