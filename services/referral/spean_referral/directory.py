"""The directory of service providers: MoSVY manages entries, each provider keeps its capacity current."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.vocabulary import AgeBand, Country, ExploitationType, ProviderType, Province, Service, Sex
from spean_kit.auth import Forbidden, Principal
from spean_kit.errors import Problem
from spean_referral.adapters.tables import Provider
from spean_referral.api.schemas import ProviderIn
from spean_referral.domain.matching import CaseProfile, NeedMatch, ProviderProfile, match


def _below_occupancy(provider: Provider) -> Problem:
    """A capacity below the beds in use would leave people without the bed they sleep in: 409, naming the
    field and the beds in use."""
    message = f"must not be below the {provider.occupancy} bed(s) in use"
    errors = [{"path": "body.capacity", "rule": "capacity_below_occupancy", "message": message}]
    detail = "capacity below the beds in use"
    return Problem(
        409, "Conflict", detail, kind="capacity-below-occupancy", errors=errors, extra={"occupancy": provider.occupancy}
    )


async def upsert(session: AsyncSession, body: ProviderIn) -> Provider:
    provider = await session.get(Provider, body.provider_id, with_for_update=True)
    values = body.model_dump(mode="json")
    if provider is None:
        provider = Provider(**values)
    else:
        values["occupancy"] = provider.occupancy  # beds in use are the provider's to report, not the directory's
        if values["capacity"] < provider.occupancy:
            raise _below_occupancy(provider)
        for name, value in values.items():
            setattr(provider, name, value)
    session.add(provider)
    return provider


async def set_capacity(session: AsyncSession, principal: Principal, provider_id: str, capacity: int) -> Provider:
    if principal.organisation != provider_id and "directory-manager" not in principal.roles:
        raise Forbidden("a provider updates only its own capacity")
    provider = await session.get(Provider, provider_id, with_for_update=True)
    if provider is None:
        raise Problem(404, "Not found", "no such provider")
    if capacity < provider.occupancy:
        raise _below_occupancy(provider)
    provider.capacity = capacity
    session.add(provider)
    return provider


def profile(provider: Provider) -> ProviderProfile:
    return ProviderProfile(
        provider_id=provider.provider_id,
        services=frozenset(Service(s) for s in provider.services),
        sexes=frozenset(Sex(s) for s in provider.sexes),
        age_min=provider.age_min,
        age_max=provider.age_max,
        provider_type=ProviderType(provider.provider_type),
        nationalities=frozenset(Country(c) for c in provider.nationalities),
        exploitation_types=frozenset(ExploitationType(e) for e in provider.exploitation_types),
        provinces=frozenset(Province(p) for p in provider.provinces),
        capacity=provider.capacity,
        occupancy=provider.occupancy,
    )


async def matches(session: AsyncSession, case: CaseProfile, needs: list[Service]) -> list[NeedMatch]:
    providers = [profile(p) for p in (await session.exec(select(Provider))).all()]
    return [match(need, case, providers) for need in needs]


def case_profile(province: str, sex: str, age_band: str, nationality: str, exploitation: list[str]) -> CaseProfile:
    return CaseProfile(
        province=Province(province),
        sex=Sex(sex),
        age_band=AgeBand(age_band),
        nationality=Country(nationality),
        exploitation_types=frozenset(ExploitationType(e) for e in exploitation),
    )
