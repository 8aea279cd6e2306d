"""The preliminary assessment over the child rule and each continuum category."""

from __future__ import annotations

import pytest

from spean_contracts.vocabulary import Continuum, Outcome
from spean_identification.domain.assessment import assess
from spean_identification.domain.indicators import Act, Indicators, Means, Purpose

ACT_AND_PURPOSE = Indicators(acts=frozenset({Act.RECRUITMENT}), purposes=frozenset({Purpose.FORCED_LABOUR}))
FULL_TEST = Indicators(
    acts=frozenset({Act.TRANSPORT}), means=frozenset({Means.DEBT}), purposes=frozenset({Purpose.SEXUAL})
)


@pytest.mark.parametrize("continuum", list(Continuum))
def test_a_child_with_act_and_purpose_is_a_suggested_victim_whatever_the_continuum(continuum: Continuum) -> None:
    result = assess(ACT_AND_PURPOSE, is_child=True, continuum=continuum)
    assert result.suggested == Outcome.TRAFFICKING_VICTIM
    assert "under 18: act and purpose suffice, means are not needed" in result.reasons


def test_a_child_with_purpose_but_no_act_is_vulnerable() -> None:
    result = assess(Indicators(purposes=frozenset({Purpose.BEGGING})), is_child=True, continuum=Continuum.F)
    assert result.suggested == Outcome.VULNERABLE_PERSON


@pytest.mark.parametrize(
    ("continuum", "expected"),
    [
        (Continuum.A, Outcome.TRAFFICKING_VICTIM),
        (Continuum.B, Outcome.TRAFFICKING_VICTIM),
        (Continuum.C, Outcome.TRAFFICKING_VICTIM),
        (Continuum.D, Outcome.TRAFFICKING_VICTIM),
        (Continuum.E, Outcome.VULNERABLE_PERSON),
        (Continuum.F, Outcome.VULNERABLE_PERSON),
    ],
)
def test_an_adult_without_recorded_means_depends_on_the_continuum(continuum: Continuum, expected: Outcome) -> None:
    result = assess(ACT_AND_PURPOSE, is_child=False, continuum=continuum)
    assert result.suggested == expected
    assert any("continuum" in reason for reason in result.reasons)


@pytest.mark.parametrize("continuum", list(Continuum))
def test_an_adult_meeting_act_means_and_purpose_is_a_suggested_victim(continuum: Continuum) -> None:
    result = assess(FULL_TEST, is_child=False, continuum=continuum)
    assert result.suggested == Outcome.TRAFFICKING_VICTIM
    assert "means: debt-bondage" in result.reasons


def test_no_indicator_means_not_trafficked() -> None:
    result = assess(Indicators(), is_child=False, continuum=Continuum.F)
    assert result.suggested == Outcome.NOT_TRAFFICKED
    assert result.reasons[-1] == "no indicator present"


def test_means_without_act_or_purpose_is_not_enough_for_an_adult() -> None:
    result = assess(Indicators(means=frozenset({Means.FORCE})), is_child=False, continuum=Continuum.A)
    assert result.suggested == Outcome.VULNERABLE_PERSON
