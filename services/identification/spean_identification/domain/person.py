"""The person screened: personal data that never leaves this service, and the coarse profile that may."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from spean_contracts.fields import BirthDate, whole_years
from spean_contracts.vocabulary import AgeBand, Country, Sex

CHILD_UNTIL = 18
# Fewer digits than a phone number's subscriber part would match dates and counts as often as the number.
MIN_DIALLED = 6


@dataclass(frozen=True)
class AssessedAge:
    """The competent authority's assessment of an age in doubt: the youngest age it supports, on the day it was
    made. It settles the age from then on, over papers, estimates and presumptions."""

    age: int
    on: date

    def age_on(self, day: date) -> int:
        return self.age + whole_years(self.on, day)


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    names: list[str] = Field(min_length=1, max_length=5, description="Names as the person gives them, any script.")
    birth_date: BirthDate | None = Field(
        default=None, description="Exact birth date, when known. It or `estimated_age` is required."
    )
    estimated_age: int | None = Field(
        default=None, ge=0, le=120, description="When the birth date is unknown. It or `birth_date` is required."
    )
    sex: Sex
    nationality: Country
    languages: list[str] = Field(default=[], max_length=10)
    contacts: list[str] = Field(default=[], max_length=10, description="Phone numbers, addresses, relatives.")
    documents: list[str] = Field(default=[], max_length=10, description="Document types and numbers.")
    presumed_child: bool = Field(
        default=False,
        description="The officer has reasons to believe the person is under 18 though the age given (by papers "
        "that may be forged, or by the estimate) says adult. The person is treated as a child, taken as 17 on the "
        "day of the screening: act and purpose suffice, and a consent is a parent's or guardian's.",
    )

    @model_validator(mode="after")
    def _age_known(self) -> Person:
        if self.birth_date is None and self.estimated_age is None:
            raise ValueError("either birth_date or estimated_age is required")
        return self

    def named_in(self, text: str) -> bool:
        """Whether `text` names the person: one of their names, their birth date, a document's number or a
        contact's digits written in it, letter case and spacing aside. Only what staff write word for word is
        caught, not a nickname or a misspelling."""
        written = _plain(text)
        digits = re.sub(r"\D", "", text)
        names = [_plain(name) for name in self.names]
        numbers = [token for document in self.documents for token in document.split() if _is_number(token)]
        dialled = [re.sub(r"\D", "", contact) for contact in self.contacts]
        birth = [self.birth_date.isoformat()] if self.birth_date else []
        return (
            any(name and name in written for name in names)
            or any(_plain(number) in written for number in [*numbers, *birth])
            or any(len(number) >= MIN_DIALLED and number in digits for number in dialled)
        )

    def age_on(self, day: date, *, met_on: date) -> int:
        """The age on `day` of a person screened on `met_on`: an estimated age is the officer's estimate on
        that day, and grows with the years since, as a birth date's does."""
        if self.birth_date is None:
            assert self.estimated_age is not None
            return self.estimated_age + whole_years(met_on, day)
        return whole_years(self.birth_date, day)

    def age_taken_on(self, day: date, *, met_on: date, assessed: AssessedAge | None = None) -> int:
        """The age Spean goes by on `day`: the competent authority's assessment where there is one; otherwise
        the age given, except that a person presumed a child whose age given says adult is taken as 17, the
        oldest a child can be, on the day they were screened."""
        if assessed is not None:
            return assessed.age_on(day)
        at_screening = self.age_on(met_on, met_on=met_on)
        if self.presumed_child and at_screening >= CHILD_UNTIL:
            return CHILD_UNTIL - 1 + whole_years(met_on, day)
        return self.age_on(day, met_on=met_on)


def _plain(text: str) -> str:
    return " ".join(text.casefold().split())


def _is_number(token: str) -> bool:
    """A document number, not a word of its description ("passport"): four characters or more, a digit among
    them."""
    return len(token) >= 4 and any(character.isdigit() for character in token)


def age_band(age: int) -> AgeBand:
    for upper, band in ((11, AgeBand.UNDER_12), (17, AgeBand.TEEN), (24, AgeBand.YOUNG_ADULT), (34, AgeBand.ADULT)):
        if age <= upper:
            return band
    return AgeBand.MIDDLE if age <= 49 else AgeBand.OLDER
