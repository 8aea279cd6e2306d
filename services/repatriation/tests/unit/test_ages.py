"""A child identification knows stays presumed a child while the years since may not have made them 18."""

from __future__ import annotations

from datetime import date

import pytest

from spean_contracts.sop import Person
from spean_contracts.vocabulary import AgeBand, Country, Sex
from spean_repatriation.domain.ages import KnownAge, presumed_child

TODAY = date(2026, 12, 4)


def known(band: AgeBand, as_of: date, *, is_child: bool = True) -> KnownAge:
    return KnownAge(is_child=is_child, age_band=band, as_of=as_of, assessed=True)


def sent(*, is_child: bool = False, birth_date: date | None = None, estimated_age: int | None = 20) -> Person:
    return Person(
        names=["Example Person"],
        sex=Sex.FEMALE,
        birth_date=birth_date,
        estimated_age=estimated_age,
        claimed_nationality=Country.VIET_NAM,
        place_of_origin="An Giang",
        is_child=is_child,
    )


@pytest.mark.parametrize(
    ("band", "as_of", "still"),
    [
        (AgeBand.TEEN, date(2026, 12, 1), True),
        (AgeBand.TEEN, date(2020, 12, 5), True),  # 12 then, not quite six years ago: 17 at youngest
        (AgeBand.TEEN, date(2020, 12, 4), False),  # six whole years: 18 at youngest
        (AgeBand.UNDER_12, date(2014, 1, 1), True),
        (AgeBand.UNKNOWN, date(2026, 1, 1), True),
    ],
)
def test_a_child_may_still_be_one_until_the_youngest_the_band_allows_is_18(
    band: AgeBand, as_of: date, still: bool
) -> None:
    assert known(band, as_of).may_still_be_child(TODAY) is still


def test_an_adult_sent_on_an_estimate_is_presumed_a_child_identification_knows() -> None:
    child = known(AgeBand.TEEN, date(2026, 10, 1))

    assert presumed_child(child, sent(), TODAY)
    assert not presumed_child(child, sent(is_child=True, estimated_age=16), TODAY)
    assert not presumed_child(child, sent(birth_date=date(2007, 6, 1), estimated_age=None), TODAY), "a document"
    assert not presumed_child(known(AgeBand.YOUNG_ADULT, date(2026, 10, 1), is_child=False), sent(), TODAY)
