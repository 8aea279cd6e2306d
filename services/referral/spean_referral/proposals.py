"""Placement proposals. MoSVY sanctions a person's placement, "usually one an NGO proposed": a provider
proposes to take a registered person in, and MoSVY sanctions the proposal, which offers the provider the
referral (the provider then accepts it as any offer, when its bed is still free), or declines it with a
reason. A proposal is refused where an offer would be: a case over, a person declining services, a service
the provider does not give, a referral to the provider already open. Every change locks the case first,
as every change to its referrals does."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.vocabulary import Service
from spean_kit.auth import Forbidden, Principal
from spean_kit.errors import Problem
from spean_kit.service import Runtime
from spean_referral import referrals
from spean_referral.adapters.tables import PlacementProposal, Provider, ReferralCase
from spean_referral.api.schemas import (
    OfferIn,
    ProposalDeclineReason,
    ProposalIn,
    ProposalOut,
    ProposalState,
    SanctionIn,
)
from spean_referral.settings import ReferralSettings


def out(proposal: PlacementProposal) -> ProposalOut:
    return ProposalOut.model_validate(proposal, from_attributes=True)


async def propose(session: AsyncSession, principal: Principal, case_id: str, body: ProposalIn) -> PlacementProposal:
    provider = await session.get(Provider, principal.organisation or "")
    if provider is None:
        raise Forbidden("only a provider in the directory proposes to take a person in")
    await referrals.offerable(session, case_id, provider.provider_id, body.services)
    waiting = (
        await session.exec(
            select(PlacementProposal).where(
                PlacementProposal.case_id == case_id,
                PlacementProposal.provider_id == provider.provider_id,
                PlacementProposal.state == ProposalState.PROPOSED,
            )
        )
    ).first()
    if waiting is not None:
        raise Problem(
            409,
            "Conflict",
            f"this provider's proposal of the case waits for MoSVY: {waiting.proposal_id}",
            kind="proposal-waiting",
            extra={"proposal_id": waiting.proposal_id, "current": waiting.state},
        )
    proposal = PlacementProposal(
        proposal_id=f"prop-{uuid.uuid4().hex}",
        case_id=case_id,
        provider_id=provider.provider_id,
        services=[str(s) for s in body.services],
        state=ProposalState.PROPOSED,
        proposed_by=principal.subject,
        proposed_at=datetime.now(UTC),
    )
    session.add(proposal)
    return proposal


async def _waiting(session: AsyncSession, proposal_id: str) -> PlacementProposal:
    """The proposal, locked after its case, if MoSVY may still decide it."""
    found = await session.get(PlacementProposal, proposal_id)
    if found is None:
        raise Problem(404, "Not found", "no such proposal")
    await session.get(ReferralCase, found.case_id, with_for_update=True)
    proposal = await session.get(PlacementProposal, proposal_id, with_for_update=True, populate_existing=True)
    assert proposal is not None  # a proposal is never deleted
    if proposal.state != ProposalState.PROPOSED:
        raise Problem(
            409,
            "Conflict",
            f"the proposal is {proposal.state}",
            kind="proposal-decided",
            extra={"current": proposal.state},
        )
    return proposal


async def sanction(
    session: AsyncSession,
    runtime: Runtime,
    settings: ReferralSettings,
    principal: Principal,
    proposal_id: str,
    body: SanctionIn,
) -> PlacementProposal:
    proposal = await _waiting(session, proposal_id)
    offered = await referrals.offer(
        session,
        runtime,
        settings,
        principal,
        proposal.case_id,
        OfferIn(
            provider_id=proposal.provider_id,
            services=[Service(s) for s in proposal.services],
            share_personal_data=body.share_personal_data,
            consent_override_reason=body.consent_override_reason,
        ),
    )
    proposal.state, proposal.referral_id = ProposalState.SANCTIONED, offered.referral_id
    proposal.decided_by, proposal.decided_at = principal.subject, datetime.now(UTC)
    session.add(proposal)
    return proposal


async def decline(
    session: AsyncSession, principal: Principal, proposal_id: str, reason: ProposalDeclineReason
) -> PlacementProposal:
    proposal = await _waiting(session, proposal_id)
    proposal.state, proposal.decline_reason = ProposalState.DECLINED, reason.value
    proposal.decided_by, proposal.decided_at = principal.subject, datetime.now(UTC)
    session.add(proposal)
    return proposal


def visible(principal: Principal) -> list[sa.ColumnElement[bool]]:
    """What a principal may list: case workers every proposal, a provider its own."""
    scope = referrals.provider_scope(principal)
    return [] if scope is None else [col(PlacementProposal.provider_id) == scope]
