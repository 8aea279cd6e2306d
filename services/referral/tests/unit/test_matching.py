"""Matching and the referral lifecycle, in plain domain code."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

import pytest

from spean_contracts.vocabulary import AgeBand, Country, ExploitationType, ProviderType, Province, Service, Sex
from spean_referral.domain.lifecycle import Action, ReferralState, TransitionRefused, next_state
from spean_referral.domain.matching import CUSTODY_STAYS, CaseProfile, ProviderProfile, match

ADULT_MAN_LABOUR = CaseProfile(
    province=Province.BANTEAY_MEANCHEY,
    sex=Sex.MALE,
    age_band=AgeBand.ADULT,
    nationality=Country.CAMBODIA,
    exploitation_types=frozenset({ExploitationType.FORCED_LABOUR}),
)
GIRL = CaseProfile(
    Province.PHNOM_PENH, Sex.FEMALE, AgeBand.TEEN, Country.CAMBODIA, frozenset({ExploitationType.SEXUAL})
)


def _shelter(
    provider_id: str,
    *,
    sexes: set[Sex],
    ages: tuple[int, int],
    free: int,
    provinces: Collection[Province] = (),
    run_by: ProviderType = ProviderType.GOVERNMENT_SHELTER,
) -> ProviderProfile:
    return ProviderProfile(
        provider_id=provider_id,
        services=frozenset({Service.SHELTER, Service.PSYCHOSOCIAL}),
        sexes=frozenset(sexes),
        age_min=ages[0],
        age_max=ages[1],
        provider_type=run_by,
        provinces=frozenset(provinces),
        capacity=10,
        occupancy=10 - free,
    )


DIRECTORY = [
    _shelter("girls-shelter-pp", sexes={Sex.FEMALE}, ages=(10, 17), free=3, provinces={Province.PHNOM_PENH}),
    _shelter("women-shelter", sexes={Sex.FEMALE}, ages=(18, 60), free=5),
    _shelter("boys-shelter", sexes={Sex.MALE}, ages=(8, 17), free=2),
]


def test_an_adult_man_trafficked_for_labour_has_no_shelter_and_the_gap_shows() -> None:
    result = match(Service.SHELTER, ADULT_MAN_LABOUR, DIRECTORY)
    assert result.is_gap
    assert result.excluded == {
        "girls-shelter-pp": "does not take male clients",
        "women-shelter": "does not take male clients",
        "boys-shelter": "takes ages 8-17, the case is 25-34",
    }


def test_a_full_shelter_is_ranked_out() -> None:
    full = _shelter("girls-shelter-full", sexes={Sex.FEMALE}, ages=(10, 17), free=0, provinces={Province.PHNOM_PENH})
    result = match(Service.SHELTER, GIRL, [*DIRECTORY, full])
    assert [r.provider_id for r in result.ranked] == ["girls-shelter-pp"]
    assert result.excluded["girls-shelter-full"] == "full: no free bed"


def test_the_province_and_free_beds_rank_and_each_rank_says_why() -> None:
    nationwide = _shelter("girls-shelter-any", sexes={Sex.FEMALE}, ages=(12, 17), free=1)
    elsewhere = _shelter("girls-shelter-bb", sexes={Sex.FEMALE}, ages=(12, 17), free=9, provinces={Province.BATTAMBANG})
    result = match(Service.SHELTER, GIRL, [elsewhere, nationwide, DIRECTORY[0]])
    assert [(r.provider_id, r.rank) for r in result.ranked] == [
        ("girls-shelter-pp", 1),
        ("girls-shelter-any", 2),
        ("girls-shelter-bb", 3),
    ]
    assert "outside the case's province" in result.ranked[2].reasons
    assert "3 free bed(s)" in result.ranked[0].reasons


def test_ties_are_explained() -> None:
    twins = [_shelter(name, sexes={Sex.FEMALE}, ages=(12, 17), free=4) for name in ("shelter-b", "shelter-a")]
    result = match(Service.SHELTER, GIRL, twins)
    assert [r.provider_id for r in result.ranked] == ["shelter-a", "shelter-b"]
    assert result.ranked[0].reasons[-1] == "tied on score 106 with shelter-b: ordered by provider id"


def test_a_child_offered_an_ngo_shelter_is_told_the_custody_stays_where_it_was() -> None:
    ngo = _shelter("girls-shelter-ngo", sexes={Sex.FEMALE}, ages=(10, 17), free=3, run_by=ProviderType.NGO)
    women = _shelter("women-shelter-ngo", sexes={Sex.FEMALE}, ages=(12, 60), free=3, run_by=ProviderType.NGO)
    for_the_girl = {r.provider_id: r.reasons for r in match(Service.SHELTER, GIRL, [ngo, DIRECTORY[0]]).ranked}
    for_a_woman = match(Service.SHELTER, replace(GIRL, age_band=AgeBand.ADULT), [women]).ranked[0].reasons
    assert CUSTODY_STAYS in for_the_girl["girls-shelter-ngo"]
    assert CUSTODY_STAYS not in for_the_girl["girls-shelter-pp"], "a government shelter's"
    assert CUSTODY_STAYS not in for_a_woman


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (ReferralState.DECLINED, Action.ACCEPT),
        (ReferralState.EXPIRED, Action.ACCEPT),
        (ReferralState.CLOSED, Action.STAGE),
    ],
)
def test_a_late_or_repeated_step_is_refused(state: ReferralState, action: Action) -> None:
    with pytest.raises(TransitionRefused):
        next_state(state, action)


def test_the_happy_path() -> None:
    state = ReferralState.OFFERED
    for action in (Action.ACCEPT, Action.STAGE, Action.STAGE, Action.CLOSE):
        state = next_state(state, action)
    assert state == ReferralState.CLOSED
