"""Matching a case's needs to the directory: providers ranked with the reasons for each rank, and the
needs nobody can meet, so a gap is counted instead of disappearing (adult men have no shelter). A gap no
count shows is named where it matters: a child placed in an NGO shelter stays in the custody of whoever
held it, since custody is not formally transferred to NGO shelters."""

from __future__ import annotations

from dataclasses import dataclass, field

from spean_contracts.vocabulary import AgeBand, Country, ExploitationType, ProviderType, Province, Service, Sex

AGE_RANGE = {
    AgeBand.UNDER_12: (0, 11),
    AgeBand.TEEN: (12, 17),
    AgeBand.YOUNG_ADULT: (18, 24),
    AgeBand.ADULT: (25, 34),
    AgeBand.MIDDLE: (35, 49),
    AgeBand.OLDER: (50, 120),
}


CHILDHOOD = (AgeBand.UNDER_12, AgeBand.TEEN)
# A gap the directory shows rather than hides: an NGO shelter takes a child in, but not the child's custody.
CUSTODY_STAYS = "takes the child in but not the child's custody, which is not transferred to NGO shelters"


@dataclass(frozen=True)
class ProviderProfile:
    provider_id: str
    services: frozenset[Service]
    sexes: frozenset[Sex]
    age_min: int
    age_max: int
    provider_type: ProviderType
    nationalities: frozenset[Country] = frozenset()  # empty: any
    exploitation_types: frozenset[ExploitationType] = frozenset()  # empty: any
    provinces: frozenset[Province] = frozenset()  # empty: nationwide
    capacity: int = 0
    occupancy: int = 0

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.occupancy)


@dataclass(frozen=True)
class CaseProfile:
    province: Province
    sex: Sex
    age_band: AgeBand
    nationality: Country
    exploitation_types: frozenset[ExploitationType]


@dataclass(frozen=True)
class Ranked:
    provider_id: str
    rank: int
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class NeedMatch:
    need: Service
    ranked: tuple[Ranked, ...]
    excluded: dict[str, str] = field(default_factory=dict)

    @property
    def is_gap(self) -> bool:
        return not self.ranked


def _exclusion(need: Service, case: CaseProfile, provider: ProviderProfile) -> str | None:
    if need not in provider.services:
        return f"does not offer {need}"
    if case.sex not in provider.sexes:
        return f"does not take {case.sex} clients"
    low, high = AGE_RANGE.get(case.age_band, (0, 120))
    if high < provider.age_min or low > provider.age_max:
        return f"takes ages {provider.age_min}-{provider.age_max}, the case is {case.age_band}"
    if provider.nationalities and case.nationality not in provider.nationalities:
        return f"does not take {case.nationality} nationals"
    if provider.exploitation_types and not case.exploitation_types & provider.exploitation_types:
        return "does not serve this form of exploitation"
    if need == Service.SHELTER and provider.free == 0:
        return "full: no free bed"
    return None


def match(need: Service, case: CaseProfile, providers: list[ProviderProfile]) -> NeedMatch:
    excluded: dict[str, str] = {}
    scored: list[tuple[int, str, tuple[str, ...]]] = []
    for provider in providers:
        reason = _exclusion(need, case, provider)
        if reason is not None:
            excluded[provider.provider_id] = reason
            continue
        score, reasons = 0, [f"offers {need} and takes this profile"]
        if not provider.provinces or case.province in provider.provinces:
            score += 100
            reasons.append("serves the case's province" if provider.provinces else "serves every province")
        else:
            reasons.append("outside the case's province")
        if need == Service.SHELTER:
            score += min(provider.free, 50)
            reasons.append(f"{provider.free} free bed(s)")
        score += len(provider.services)
        reasons.append(f"offers {len(provider.services)} service(s) in all, so fewer hand-overs")
        if need == Service.SHELTER and case.age_band in CHILDHOOD and provider.provider_type == ProviderType.NGO:
            reasons.append(CUSTODY_STAYS)
        scored.append((score, provider.provider_id, tuple(reasons)))
    scored.sort(key=lambda item: (-item[0], item[1]))
    ranked = []
    for position, (score, provider_id, why) in enumerate(scored, start=1):
        tied = [other for s, other, _ in scored if s == score and other != provider_id]
        if tied:
            why = (*why, f"tied on score {score} with {', '.join(tied)}: ordered by provider id")
        ranked.append(Ranked(provider_id, position, score, why))
    return NeedMatch(need, tuple(ranked), excluded)
