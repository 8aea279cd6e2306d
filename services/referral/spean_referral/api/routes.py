"""The HTTP API of referral: the directory, matching, and each referral's life."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.fields import CaseId, LocalId, ProviderId
from spean_contracts.vocabulary import CaseStatus, Service
from spean_kit.auth import Principal, require_roles
from spean_kit.errors import Problem, invalid_field
from spean_kit.pages import PAGED_HEADERS, Keyset, PageOf
from spean_kit.service import runtime_of
from spean_referral import directory, forms, proposals, referrals
from spean_referral.adapters.tables import PlacementProposal, Provider, Referral, ReferralCase
from spean_referral.api.schemas import (
    CapacityIn,
    DeclineIn,
    FiledFormOut,
    NeedMatchOut,
    OfferIn,
    ProposalDeclineIn,
    ProposalIn,
    ProposalOut,
    ProposalState,
    ProviderIn,
    ProviderOut,
    RankedOut,
    ReferralCaseOut,
    ReferralOut,
    ReintegrationForm,
    SanctionIn,
    StageIn,
    TransferIn,
)
from spean_referral.domain.forms import Situation
from spean_referral.domain.lifecycle import OPEN, ReferralState
from spean_referral.placements import overdue, places_by
from spean_referral.settings import ReferralSettings

router = APIRouter(tags=["referral"])
Manager = Annotated[Principal, Depends(require_roles("directory-manager"))]
Anyone = Annotated[
    Principal, Depends(require_roles("case-worker", "determiner", "provider", "screener", "directory-manager"))
]
CaseWorker = Annotated[Principal, Depends(require_roles("case-worker", "determiner"))]
ProviderStaff = Annotated[Principal, Depends(require_roles("provider"))]
CareGiver = Annotated[Principal, Depends(require_roles("provider", "case-worker"))]


FORMS_MISSING: dict[int | str, dict[str, Any]] = {
    409: {"description": "The forms of the stages before the one asked for are not all filed (`missing_forms`)"}
}
FORM_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "The same form was filed before: it answers, and nothing new is recorded"},
    409: {"description": "The person is not in care, or the form's stage is not reached yet (`stage`)"},
}
BELOW_OCCUPANCY: dict[int | str, dict[str, Any]] = {
    409: {"description": "`capacity-below-occupancy`: fewer beds than are in use (`occupancy`), at `body.capacity`"}
}


@router.put("/providers/{provider_id}", response_model=ProviderOut, responses=BELOW_OCCUPANCY)
async def put_provider(provider_id: ProviderId, body: ProviderIn, request: Request, principal: Manager) -> ProviderOut:
    if body.provider_id != provider_id:
        raise invalid_field(
            "body.provider_id",
            "equals-path",
            "must match the path",
            detail="the path and the body name different providers",
        )
    async with runtime_of(request).sessions() as session, session.begin():
        provider = await directory.upsert(session, body)
        return ProviderOut.model_validate(provider, from_attributes=True)


@router.get("/providers", response_model=list[ProviderOut])
async def list_providers(request: Request, principal: Anyone) -> list[ProviderOut]:
    """The whole directory: who offers what, to whom, where, and how many beds are free."""
    async with runtime_of(request).sessions() as session:
        rows = (await session.exec(select(Provider).order_by(col(Provider.provider_id)))).all()
    return [ProviderOut.model_validate(row, from_attributes=True) for row in rows]


@router.put("/providers/{provider_id}/capacity", response_model=ProviderOut, responses=BELOW_OCCUPANCY)
async def put_capacity(
    provider_id: ProviderId, body: CapacityIn, request: Request, principal: CareGiver
) -> ProviderOut:
    async with runtime_of(request).sessions() as session, session.begin():
        provider = await directory.set_capacity(session, principal, provider_id, body.capacity)
        return ProviderOut.model_validate(provider, from_attributes=True)


async def _case(request: Request, case_id: CaseId) -> ReferralCase:
    async with runtime_of(request).sessions() as session:
        case = await session.get(ReferralCase, case_id)
    if case is None:
        raise Problem(404, "Not found", "no referral case for this case id")
    return case


CASES = Keyset((col(ReferralCase.opened_at), col(ReferralCase.case_id)))


@router.get("/cases", response_model=list[ReferralCaseOut], responses={200: {"headers": PAGED_HEADERS}})
async def list_cases(
    request: Request,
    response: Response,
    principal: CaseWorker,
    page: PageOf,
    status: Annotated[
        CaseStatus | None,
        Query(
            description="Active (to place, or in care), FollowUp (every provider caring for the person at "
            "monitoring, no offer waiting), Closed (care ended), ClosedReferred (returned to their country)."
        ),
    ] = None,
    unplaced: Annotated[
        bool, Query(description="Only cases with no referral offered or in care: those waiting to be placed.")
    ] = False,
    late: Annotated[
        bool,
        Query(
            description="Only active cases past their `place_by` whose person nobody has taken in and who does not "
            "decline services: those late for their placement."
        ),
    ] = False,
) -> list[ReferralCaseOut]:
    """Referral cases in the order they were opened, longest waiting first, a page at a time (follow the
    `Link` header): `?status=Active&unplaced=true` is the queue of people still to be placed, and
    `?late=true` lists the people nobody has taken in by their `place_by`."""
    query = select(ReferralCase)
    if late:
        settings: ReferralSettings = request.app.state.settings
        query = query.where(*overdue(datetime.now(UTC), settings.placement_days))
    if status is not None:
        query = query.where(ReferralCase.status == status.value)
    if unplaced:
        placed = select(Referral.referral_id).where(
            Referral.case_id == ReferralCase.case_id, col(Referral.state).in_([state.value for state in OPEN])
        )
        query = query.where(~placed.exists())
    async with runtime_of(request).sessions() as session:
        shown = await CASES.read(session, query, page, request, response)
        return await _cases_out(request, session, shown)


@router.get("/cases/{case_id}", response_model=ReferralCaseOut)
async def read_case(case_id: CaseId, request: Request, principal: CaseWorker) -> ReferralCaseOut:
    case = await _case(request, case_id)
    async with runtime_of(request).sessions() as session:
        (shown,) = await _cases_out(request, session, [case])
    return shown


async def _cases_out(request: Request, session: AsyncSession, cases: Sequence[ReferralCase]) -> list[ReferralCaseOut]:
    settings: ReferralSettings = request.app.state.settings
    due = await places_by(session, cases, settings.placement_days)
    return [ReferralCaseOut.model_validate({**case.model_dump(), "place_by": due[case.case_id]}) for case in cases]


@router.get("/cases/{case_id}/matches", response_model=list[NeedMatchOut])
async def list_matches(case_id: CaseId, request: Request, principal: CaseWorker) -> list[NeedMatchOut]:
    """For each need of the case: eligible providers ranked, with reasons; the rest with why not."""
    case = await _case(request, case_id)
    profile = directory.case_profile(case.province, case.sex, case.age_band, case.nationality, case.exploitation_types)
    async with runtime_of(request).sessions() as session:
        found = await directory.matches(session, profile, [Service(n) for n in case.needs])
    return [
        NeedMatchOut(
            need=m.need,
            gap=m.is_gap,
            ranked=[
                RankedOut(provider_id=r.provider_id, rank=r.rank, score=r.score, reasons=list(r.reasons))
                for r in m.ranked
            ],
            excluded=m.excluded,
        )
        for m in found
    ]


@router.post(
    "/cases/{case_id}/offers",
    status_code=201,
    response_model=ReferralOut,
    responses={409: {"description": "An open referral of the case to this provider exists: its `referral_id`"}},
)
async def make_offer(case_id: CaseId, body: OfferIn, request: Request, principal: CaseWorker) -> ReferralOut:
    runtime = runtime_of(request)
    settings: ReferralSettings = request.app.state.settings
    async with runtime.sessions() as session, session.begin():
        return referrals.out(await referrals.offer(session, runtime, settings, principal, case_id, body))


@router.post("/cases/{case_id}/proposals", status_code=201, response_model=ProposalOut)
async def propose_placement(
    case_id: CaseId, body: ProposalIn, request: Request, principal: ProviderStaff
) -> ProposalOut:
    """A provider proposes to take the person in, for MoSVY to sanction (an offer to the provider, which it
    accepts as any) or decline. Refused where an offer would be, and while its earlier proposal of the case
    waits (409 `proposal-waiting`, naming it)."""
    async with runtime_of(request).sessions() as session, session.begin():
        return proposals.out(await proposals.propose(session, principal, case_id, body))


PROPOSED = Keyset((col(PlacementProposal.proposed_at), col(PlacementProposal.proposal_id)))


@router.get("/proposals", response_model=list[ProposalOut], responses={200: {"headers": PAGED_HEADERS}})
async def list_proposals(
    request: Request,
    response: Response,
    principal: Anyone,
    page: PageOf,
    case_id: Annotated[CaseId | None, Query()] = None,
    state: Annotated[ProposalState | None, Query()] = None,
) -> list[ProposalOut]:
    """Proposals in the order they were made, a page at a time (follow the `Link` header): `?state=proposed`
    is MoSVY's queue of proposals to decide. A provider sees only its own."""
    query = select(PlacementProposal).where(*proposals.visible(principal))
    if case_id is not None:
        query = query.where(PlacementProposal.case_id == case_id)
    if state is not None:
        query = query.where(PlacementProposal.state == state.value)
    async with runtime_of(request).sessions() as session:
        shown = await PROPOSED.read(session, query, page, request, response)
    return [proposals.out(p) for p in shown]


@router.post("/proposals/{proposal_id}/sanction", response_model=ProposalOut)
async def sanction_proposal(
    proposal_id: LocalId, body: SanctionIn, request: Request, principal: CaseWorker
) -> ProposalOut:
    """MoSVY sanctions the placement proposed: the provider is offered the referral (`referral_id`), under
    the rules of an offer."""
    runtime = runtime_of(request)
    settings: ReferralSettings = request.app.state.settings
    async with runtime.sessions() as session, session.begin():
        return proposals.out(await proposals.sanction(session, runtime, settings, principal, proposal_id, body))


@router.post("/proposals/{proposal_id}/decline", response_model=ProposalOut)
async def decline_proposal(
    proposal_id: LocalId, body: ProposalDeclineIn, request: Request, principal: CaseWorker
) -> ProposalOut:
    async with runtime_of(request).sessions() as session, session.begin():
        return proposals.out(await proposals.decline(session, principal, proposal_id, body.reason))


LISTED = Keyset((col(Referral.offered_at), col(Referral.referral_id)))


@router.get("/referrals", response_model=list[ReferralOut], responses={200: {"headers": PAGED_HEADERS}})
async def list_referrals(
    request: Request,
    response: Response,
    principal: Anyone,
    page: PageOf,
    case_id: Annotated[CaseId | None, Query()] = None,
    state: Annotated[ReferralState | None, Query()] = None,
    visit_due_before: Annotated[
        datetime | None,
        Query(description="Only cases followed up whose next monitoring visit is due before this moment."),
    ] = None,
    situation: Annotated[
        list[Situation] | None,
        Query(description="Only cases whose latest monitoring visit found the person so (repeat for several)."),
    ] = None,
) -> list[ReferralOut]:
    """Referrals in the order they were offered, a page at a time (follow the `Link` header), of one case
    or in one state if asked, the followed-up cases to visit soon, or those the latest visit found at risk
    or trafficked again. Case workers see every referral; a provider sees only those addressed to it."""
    query = select(Referral)
    if (scope := referrals.provider_scope(principal)) is not None:
        query = query.where(Referral.provider_id == scope)
    if case_id is not None:
        query = query.where(Referral.case_id == case_id)
    if state is not None:
        query = query.where(Referral.state == state.value)
    if visit_due_before is not None:
        query = query.where(col(Referral.visit_due) < visit_due_before)
    if situation:
        query = query.where(col(Referral.situation).in_([s.value for s in situation]))
    async with runtime_of(request).sessions() as session:
        shown = await LISTED.read(session, query, page, request, response)
    return [referrals.out(r) for r in shown]


@router.get("/referrals/{referral_id}", response_model=ReferralOut)
async def read_referral(referral_id: LocalId, request: Request, principal: Anyone) -> ReferralOut:
    async with runtime_of(request).sessions() as session:
        return referrals.out(await referrals.visible_referral(session, principal, referral_id))


@router.post("/referrals/{referral_id}/accept", response_model=ReferralOut)
async def accept_referral(referral_id: LocalId, request: Request, principal: ProviderStaff) -> ReferralOut:
    """The provider takes the person into care (a shelter's bed is taken with it): 409 `no-capacity` when no
    bed is left, 409 `consent-required` while the person declines services."""
    runtime = runtime_of(request)
    async with runtime.sessions() as session, session.begin():
        return referrals.out(await referrals.accept(session, runtime, principal, referral_id))


@router.post("/referrals/{referral_id}/decline", response_model=ReferralOut)
async def decline_referral(
    referral_id: LocalId, body: DeclineIn, request: Request, principal: ProviderStaff
) -> ReferralOut:
    runtime = runtime_of(request)
    async with runtime.sessions() as session, session.begin():
        return referrals.out(await referrals.decline(session, runtime, principal, referral_id, body.reason))


@router.post("/referrals/{referral_id}/stage", response_model=ReferralOut, responses=FORMS_MISSING)
async def change_referral_stage(
    referral_id: LocalId, body: StageIn, request: Request, principal: CareGiver
) -> ReferralOut:
    """Move a case the provider cares for through the reintegration stages. `closure` ends the referral and
    frees its bed; the case closes with it unless another of its referrals is still in care or awaiting an
    answer, in which case the last of those to end closes it."""
    runtime = runtime_of(request)
    settings: ReferralSettings = request.app.state.settings
    async with runtime.sessions() as session, session.begin():
        changed = await referrals.change_stage(session, runtime, settings, principal, referral_id, body)
        return referrals.out(changed)


@router.post("/referrals/{referral_id}/forms", status_code=201, response_model=FiledFormOut, responses=FORM_ANSWERS)
async def file_form(
    referral_id: LocalId,
    body: Annotated[ReintegrationForm, Body()],
    request: Request,
    response: Response,
    principal: CareGiver,
) -> FiledFormOut:
    """File a reintegration stage's form for a person in care: the `assessment` (pre-integration), the
    `reintegration-plan` (integration) and each `monitoring-visit`. A form is filed in its stage or later; the
    case moves into integration once its assessment is filed, and into monitoring once its plan is too. A visit
    makes the next due `SPEAN_VISIT_INTERVAL_DAYS` after its day (`visit_due`). The same form sent again is
    recorded once: the first filing answers, with 200."""
    settings: ReferralSettings = request.app.state.settings
    interval = timedelta(days=settings.visit_interval_days)
    async with runtime_of(request).sessions() as session, session.begin():
        row, new = await forms.file(session, principal, referral_id, body, interval)
        if not new:
            response.status_code = 200
        return forms.out(row)


@router.get("/referrals/{referral_id}/forms", response_model=list[FiledFormOut])
async def list_forms(referral_id: LocalId, request: Request, principal: CareGiver) -> list[FiledFormOut]:
    """A referral's forms in the order they were filed, for its provider and MoSVY, with those filed under the
    referrals whose care it took over by transfer (each names its `referral_id`)."""
    async with runtime_of(request).sessions() as session:
        referral = await referrals.visible_referral(session, principal, referral_id)
        return [forms.out(row) for row in await referrals.forms_of(session, referral)]


@router.post("/referrals/{referral_id}/transfer", status_code=201, response_model=ReferralOut)
async def transfer_referral(
    referral_id: LocalId, body: TransferIn, request: Request, principal: CaseWorker
) -> ReferralOut:
    """Offer the case to another provider; the current placement ends only when the receiver accepts, which
    then carries the reintegration on from the stage reached, with the forms filed before. The person's data
    goes with them if the current referral shared it, under the same consent rule as an offer."""
    runtime = runtime_of(request)
    settings: ReferralSettings = request.app.state.settings
    async with runtime.sessions() as session, session.begin():
        current = await referrals.visible_referral(session, principal, referral_id, lock=True)
        if current.state != "in-care":
            raise Problem(
                409, "Conflict", "only a referral in care can be transferred", extra={"current": current.state}
            )
        offered = await referrals.offer(
            session,
            runtime,
            settings,
            principal,
            current.case_id,
            OfferIn(
                provider_id=body.provider_id,
                services=body.services,
                share_personal_data=current.shares_personal_data,
                consent_override_reason=body.consent_override_reason,
            ),
            replaces=referral_id,
        )
        return referrals.out(offered)
