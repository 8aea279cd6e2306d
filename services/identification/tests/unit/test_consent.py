"""Who may give a consent, when a child comes of age, and how long a presumption of childhood lasts."""

from __future__ import annotations

from datetime import date

import pytest

from spean_identification.domain.access import needs_guardian
from spean_identification.domain.person import AssessedAge, Person


def _person(**age: object) -> Person:
    return Person.model_validate({"names": ["Srey Neang"], "sex": "female", "nationality": "KHM"} | age)


@pytest.mark.parametrize(
    ("given", "by_guardian", "known_as_child", "needed"),
    [
        (True, False, True, True),
        (True, True, True, False),
        (False, False, True, False),
        (True, False, False, False),
    ],
)
def test_only_a_consent_given_by_a_child_alone_needs_a_guardian(
    given: bool, by_guardian: bool, known_as_child: bool, needed: bool
) -> None:
    assert needs_guardian(given=given, by_guardian=by_guardian, known_as_child=known_as_child) is needed


def test_a_birth_date_gives_the_age_on_any_day_whenever_the_person_was_met() -> None:
    person = _person(birth_date="2008-12-04")
    met = date(2026, 1, 5)
    assert [person.age_on(day, met_on=met) for day in (met, date(2026, 12, 3), date(2026, 12, 4))] == [17, 17, 18]


def test_an_estimated_age_grows_with_the_years_since_the_screening() -> None:
    person = _person(estimated_age=17)
    met = date(2025, 12, 4)
    assert [person.age_on(day, met_on=met) for day in (met, date(2026, 12, 3), date(2026, 12, 4))] == [17, 17, 18]


def test_a_person_presumed_a_child_whose_papers_say_adult_is_taken_as_17_on_the_day_of_the_screening() -> None:
    person = _person(birth_date="2000-03-01", presumed_child=True)
    met = date(2025, 12, 4)
    days = (met, date(2026, 12, 3), date(2026, 12, 4))
    assert [person.age_taken_on(day, met_on=met) for day in days] == [17, 17, 18]
    assert [person.age_on(day, met_on=met) for day in days] == [25, 26, 26]


def test_a_presumption_changes_nothing_for_a_person_whose_age_given_says_child() -> None:
    presumed, stated = _person(estimated_age=15, presumed_child=True), _person(estimated_age=15)
    met = date(2025, 12, 4)
    days = (met, date(2028, 12, 3), date(2028, 12, 4))
    assert [presumed.age_taken_on(day, met_on=met) for day in days] == [15, 17, 18]
    assert [stated.age_taken_on(day, met_on=met) for day in days] == [15, 17, 18]


def test_an_assessed_age_settles_the_age_whatever_the_papers_or_the_presumption_said() -> None:
    presumed, papers_say_child = _person(birth_date="2000-03-01", presumed_child=True), _person(estimated_age=16)
    met, assessed = date(2026, 1, 5), AssessedAge(age=24, on=date(2026, 2, 10))
    days = (date(2026, 2, 10), date(2027, 2, 9), date(2027, 2, 10))
    assert [presumed.age_taken_on(day, met_on=met, assessed=assessed) for day in days] == [24, 24, 25]
    assert [papers_say_child.age_taken_on(day, met_on=met, assessed=assessed) for day in days] == [24, 24, 25]


def test_an_assessment_that_finds_a_younger_child_keeps_them_a_child_past_the_presumed_year() -> None:
    presumed, met = _person(birth_date="2000-03-01", presumed_child=True), date(2026, 1, 5)
    a_year_on = date(2027, 1, 5)
    assert presumed.age_taken_on(a_year_on, met_on=met) == 18
    assert presumed.age_taken_on(a_year_on, met_on=met, assessed=AssessedAge(age=14, on=date(2026, 2, 1))) == 14
