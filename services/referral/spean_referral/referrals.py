"""Referral use cases: offer, accept, decline, expire, reintegration stages, closure, transfer.

Capacity is a row-level guarded counter: two providers accepting the last bed at once cannot both
succeed, and occupancy never goes negative (a check constraint backs this up). A change to a referral
locks its case first, then the referral: one order everywhere, so that two changes never deadlock, and
the change that ends a case's last open referral sees the others' outcome and closes the case.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import (
    CaseClosed,
    CaseReferred,
    CaseRepatriated,
    FollowUpDeadlineBreached,
    ReferralAccepted,
    ReferralClosed,
    ReferralDeadlineBreached,
    ReferralDeclined,
    ReferralOffered,
    ReferralPersonalDataShared,
    ReintegrationStageChanged,
    VisitDeadlineBreached,
)
from spean_contracts.fields import EventData
from spean_contracts.vocabulary import (
    CaseStatus,
    ConsentPurpose,
    DeclineReason,
    ProviderType,
    Province,
    ReintegrationStage,
    Service,
)
from spean_kit.auth import Forbidden, Principal
from spean_kit.errors import Problem, invalid_field
from spean_kit.outbox import Stager
from spean_kit.service import Runtime
from spean_referral.adapters.tables import (
    ConsentOverride,
    ConsentState,
    FiledForm,
    Provider,
    Referral,
    ReferralCase,
)
from spean_referral.api.schemas import OfferIn, ReferralOut, StageIn
from spean_referral.domain.forms import FormKind, missing_for
from spean_referral.domain.lifecycle import (
    CLOSED_CASE,
    OPEN,
    STATUS_OF_STAGE,
    Action,
    ReferralState,
    TransitionRefused,
    next_state,
)
from spean_referral.settings import ReferralSettings

CASE_ROLES = frozenset({"case-worker", "determiner"})
# Referrals a deadline scan handles in one transaction; the next scan takes the rest.
SCAN_BATCH = 500


def provider_scope(principal: Principal) -> str | None:
    """Need-to-know: the organisation whose referrals and proposals a principal sees, or None for MoSVY's
    case workers, who see every one."""
    return None if CASE_ROLES & principal.roles else principal.organisation or ""


def out(referral: Referral) -> ReferralOut:
    return ReferralOut.model_validate(referral, from_attributes=True)


async def visible_referral(
    session: AsyncSession, principal: Principal, referral_id: str, *, lock: bool = False
) -> Referral:
    """Need-to-know: a provider sees only referrals addressed to it; others are as if they did not exist.
    With `lock`, the referral's case and then the referral are locked for the change to come."""
    referral = await session.get(Referral, referral_id)
    if referral is None:
        raise Problem(404, "Not found", "no such referral")
    scope = provider_scope(principal)
    if scope is not None and referral.provider_id != scope:
        raise Problem(404, "Not found", "no such referral")
    if lock:
        await session.get(ReferralCase, referral.case_id, with_for_update=True)
        await session.refresh(referral, with_for_update=True)
    return referral


async def _settle_case(session: AsyncSession, case_id: str, now: datetime) -> list[CaseClosed]:
    """The case's status (locked by the caller) as its referrals now stand. It closes once a referral of it was
    closed at the last stage and none is left open: a shelter's closure does not close a case a legal-aid
    provider still works on, nor one offered to a provider still to answer (the offer's decline or expiry
    then closes it). It is followed up (FollowUp) while every provider caring for the person is at
    monitoring and no offer waits; else Active."""
    case = await session.get(ReferralCase, case_id)
    if case is None or case.status in CLOSED_CASE:
        return []
    referrals = (await session.exec(select(Referral.state, Referral.stage).where(Referral.case_id == case_id))).all()
    states = {state for state, _ in referrals}
    if ReferralState.CLOSED in states and not states & set(OPEN):
        case.status = CaseStatus.CLOSED
        session.add(case)
        return [CaseClosed(case_id=case_id, status=CaseStatus.CLOSED, closed_at=now)]
    in_care = [stage for state, stage in referrals if state == ReferralState.IN_CARE]
    following_up = bool(in_care) and ReferralState.OFFERED not in states
    following_up = following_up and all(stage == ReintegrationStage.MONITORING for stage in in_care)
    case.status = CaseStatus.FOLLOW_UP if following_up else CaseStatus.ACTIVE
    session.add(case)
    return []


def _move(referral: Referral, action: Action) -> None:
    try:
        referral.state = next_state(ReferralState(referral.state), action)
    except TransitionRefused as refused:
        raise Problem(409, "Conflict", str(refused), extra={"current": referral.state}) from None


async def offerable(session: AsyncSession, case_id: str, provider_id: str, services: Sequence[Service]) -> None:
    """Refuses an offer of the case to the provider that could not be made: a case unknown or over, a person
    declining services, a provider unknown or not giving every service asked, a referral to it already open.
    Locks the case first, as every change to its referrals does."""
    case = await session.get(ReferralCase, case_id, with_for_update=True)
    if case is None:
        raise Problem(404, "Not found", "no referral case for this case id")
    if case.status in CLOSED_CASE:
        raise Problem(409, "Conflict", f"the case is {case.status}", kind="case-closed", extra={"current": case.status})
    consent = await session.get(ConsentState, (case_id, ConsentPurpose.SERVICES))
    if consent is not None and not consent.given:
        raise Problem(
            409,
            "Conflict",
            "the person declined services; nothing is offered until they consent",
            kind="consent-required",
        )
    provider = await session.get(Provider, provider_id)
    if provider is None:
        raise invalid_field("body.provider_id", "exists", "not in the directory", detail="no such provider")
    missing = {str(s) for s in services} - set(provider.services)
    if missing:
        raise invalid_field(
            "body.services",
            "offered",
            ", ".join(sorted(missing)),
            detail="the provider does not offer every service asked",
        )
    open_already = (
        await session.exec(
            select(Referral).where(
                Referral.case_id == case_id,
                Referral.provider_id == provider_id,
                col(Referral.state).in_([state.value for state in OPEN]),
            )
        )
    ).first()
    if open_already is not None:
        raise Problem(
            409,
            "Conflict",
            f"the case already has an open referral to this provider: {open_already.referral_id}",
            kind="referral-open",
            extra={"referral_id": open_already.referral_id, "current": open_already.state},
        )


async def offer(
    session: AsyncSession,
    runtime: Runtime,
    settings: ReferralSettings,
    principal: Principal,
    case_id: str,
    body: OfferIn,
    *,
    replaces: str | None = None,
) -> Referral:
    await offerable(session, case_id, body.provider_id, body.services)
    now = datetime.now(UTC)
    referral = Referral(
        referral_id=f"ref-{uuid.uuid4().hex}",
        case_id=case_id,
        provider_id=body.provider_id,
        services=[str(s) for s in body.services],
        state=ReferralState.OFFERED,
        status=CaseStatus.ACTIVE,
        holds_bed=False,
        shares_personal_data=body.share_personal_data,
        replaces=replaces,
        respond_by=now + timedelta(hours=settings.offer_response_hours),
        offered_by=principal.subject,
        offered_at=now,
    )
    if body.share_personal_data:
        await _consent_gate(session, principal, referral, body.consent_override_reason, now)
    session.add(referral)
    await _settle_case(session, case_id, now)  # an offer waits: the case is Active, and cannot close now
    await runtime.stage(
        session,
        ReferralOffered(
            case_id=case_id,
            referral_id=referral.referral_id,
            provider_id=body.provider_id,
            services=list(body.services),
            respond_by=referral.respond_by,
        ),
    )
    return referral


async def _consent_gate(
    session: AsyncSession, principal: Principal, referral: Referral, override: str | None, now: datetime
) -> None:
    consent = await session.get(ConsentState, (referral.case_id, ConsentPurpose.SHARING_AGENCIES))
    if consent is not None and consent.given:
        return
    if override is None:
        raise Problem(409, "Conflict", "no consent to share personal data between agencies", kind="consent-required")
    if "determiner" not in principal.roles:
        raise Forbidden("only the competent authority may override a missing consent")
    session.add(
        ConsentOverride(
            case_id=referral.case_id,
            referral_id=referral.referral_id,
            by_subject=principal.subject,
            agency=principal.agency or "",
            reason=override,
            at=now,
        )
    )


async def accept(session: AsyncSession, runtime: Runtime, principal: Principal, referral_id: str) -> Referral:
    referral = await visible_referral(session, principal, referral_id, lock=True)
    if referral.provider_id != principal.organisation:
        raise Forbidden("only the provider the referral is addressed to accepts it")
    _move(referral, Action.ACCEPT)
    provider = await session.get(Provider, referral.provider_id)
    assert provider is not None
    if Service.SHELTER in referral.services:
        # The guard and the increment in one statement: the last bed goes to exactly one provider.
        taken = await session.exec(
            sa.update(Provider)
            .where(col(Provider.provider_id) == referral.provider_id, col(Provider.occupancy) < col(Provider.capacity))
            .values(occupancy=col(Provider.occupancy) + 1)
        )
        if taken.rowcount == 0:
            raise Problem(
                409, "Conflict", "no free bed left", kind="no-capacity", extra={"current": ReferralState.OFFERED}
            )
        referral.holds_bed = True
    referral.stage = ReintegrationStage.PRE_INTEGRATION
    session.add(referral)
    now = datetime.now(UTC)
    case = await session.get(ReferralCase, referral.case_id)
    assert case is not None
    events: list[EventData] = [
        ReferralAccepted(
            case_id=referral.case_id, referral_id=referral_id, provider_id=referral.provider_id, accepted_at=now
        ),
        CaseReferred(
            case_id=referral.case_id,
            referral_id=referral_id,
            provider_id=referral.provider_id,
            provider_type=ProviderType(provider.provider_type),
            services=[Service(s) for s in referral.services],
            province=Province(case.province),
            referred_at=now,
        ),
    ]
    if referral.shares_personal_data:
        events.append(await _share_with_provider(session, referral, principal, now))
    if referral.replaces:
        events += await _hand_over(session, referral, now)
    session.add(referral)
    events += await _settle_case(session, referral.case_id, now)
    await runtime.stage(session, *events)
    return referral


async def _share_with_provider(
    session: AsyncSession, referral: Referral, principal: Principal, now: datetime
) -> ReferralPersonalDataShared:
    """The offer asked to share the person's data: identification opens it to the provider that took the
    person in, from now until the referral ends. Only at acceptance, so that the providers who were merely
    asked never see it; on the competent authority's override where the victim has not consented."""
    if not principal.agency:
        raise Forbidden("the token carries no agency, which the person's data would be shared with")
    consent = await session.get(ConsentState, (referral.case_id, ConsentPurpose.SHARING_AGENCIES))
    overridden = (
        await session.exec(select(ConsentOverride.id).where(ConsentOverride.referral_id == referral.referral_id))
    ).first() is not None
    return ReferralPersonalDataShared(
        case_id=referral.case_id,
        referral_id=referral.referral_id,
        provider_id=referral.provider_id,
        agency=principal.agency,
        overrides_consent=overridden and not (consent is not None and consent.given),
        shared_at=now,
    )


async def _release_bed(session: AsyncSession, referral: Referral) -> None:
    if referral.holds_bed:
        await session.exec(
            sa.update(Provider)
            .where(col(Provider.provider_id) == referral.provider_id)
            .values(occupancy=col(Provider.occupancy) - 1)
        )
        referral.holds_bed = False


async def _hand_over(session: AsyncSession, receiving: Referral, now: datetime) -> list[EventData]:
    """The receiving provider accepted a transfer: the previous placement ends as ClosedReferred, and the
    receiver carries the reintegration on from the stage it had reached, with its follow-up and visit dates,
    instead of assessing the person again; unless its provider closed it meanwhile, its care completed."""
    assert receiving.replaces is not None
    previous = await session.get(Referral, receiving.replaces, with_for_update=True)
    assert previous is not None
    if previous.state != ReferralState.IN_CARE:
        return []
    events: list[EventData] = []
    if previous.stage is not None and previous.stage != receiving.stage:
        stage = ReintegrationStage(previous.stage)
        receiving.stage, receiving.status = stage, STATUS_OF_STAGE[stage]
        receiving.follow_up_until, receiving.follow_up_breached = previous.follow_up_until, previous.follow_up_breached
        receiving.visit_due, receiving.visit_breached = previous.visit_due, previous.visit_breached
        receiving.visited_on, receiving.situation = previous.visited_on, previous.situation
        events.append(_stage_changed(receiving, now))
    return [*events, await _refer_on(session, previous, now)]


def _stage_changed(referral: Referral, now: datetime) -> ReintegrationStageChanged:
    """The referral's move into the stage it is in now."""
    return ReintegrationStageChanged.model_validate(
        {
            "case_id": referral.case_id,
            "referral_id": referral.referral_id,
            "stage": referral.stage,
            "status": referral.status,
            "changed_at": now,
        }
    )


async def lineage(session: AsyncSession, referral: Referral) -> list[str]:
    """The referral and those whose care it took over by transfer, latest first: the forms filed under the
    earlier ones are the person's, and count for it."""
    ids = [referral.referral_id]
    previous = referral.replaces
    while previous is not None and previous not in ids:
        ids.append(previous)
        earlier = await session.get(Referral, previous)
        previous = earlier.replaces if earlier is not None else None
    return ids


async def forms_of(session: AsyncSession, referral: Referral) -> list[FiledForm]:
    """The person's forms under the referral and those whose care it took over by transfer, in the order
    they were filed: the provider taking over reads what was assessed and planned before it."""
    return list(
        (
            await session.exec(
                select(FiledForm)
                .where(col(FiledForm.referral_id).in_(await lineage(session, referral)))
                .order_by(col(FiledForm.filed_at), col(FiledForm.form_id))
            )
        ).all()
    )


async def _refer_on(session: AsyncSession, referral: Referral, now: datetime) -> ReferralClosed:
    """The referral ends as ClosedReferred: others take the person's care over; a bed held is freed."""
    _move(referral, Action.HAND_OVER)
    referral.status, referral.follow_up_until, referral.visit_due = CaseStatus.CLOSED_REFERRED, None, None
    await _release_bed(session, referral)
    session.add(referral)
    return ReferralClosed(
        case_id=referral.case_id, referral_id=referral.referral_id, status=CaseStatus.CLOSED_REFERRED, closed_at=now
    )


async def decline(
    session: AsyncSession, runtime: Runtime, principal: Principal, referral_id: str, reason: DeclineReason
) -> Referral:
    referral = await visible_referral(session, principal, referral_id, lock=True)
    if referral.provider_id != principal.organisation:
        raise Forbidden("only the provider the referral is addressed to declines it")
    now = datetime.now(UTC)
    declined = _declined(session, referral, reason, now)
    await runtime.stage(session, declined, *await _settle_case(session, referral.case_id, now))
    return referral


def _declined(session: AsyncSession, referral: Referral, reason: DeclineReason, now: datetime) -> ReferralDeclined:
    """The offer ends declined, by the provider or on the person's word."""
    _move(referral, Action.DECLINE)
    referral.decline_reason = reason
    session.add(referral)
    return ReferralDeclined(
        case_id=referral.case_id,
        referral_id=referral.referral_id,
        provider_id=referral.provider_id,
        reason=reason,
        declined_at=now,
    )


async def change_stage(
    session: AsyncSession,
    runtime: Runtime,
    settings: ReferralSettings,
    principal: Principal,
    referral_id: str,
    body: StageIn,
) -> Referral:
    stage, closing = body.stage, body.stage == ReintegrationStage.CLOSURE
    if closing != (body.outcome is not None):
        raise invalid_field(
            "body.outcome",
            "outcome_at_closure",
            "required at closure (how care ended), and only there",
        )
    referral = await visible_referral(session, principal, referral_id, lock=True)
    now = datetime.now(UTC)
    status = STATUS_OF_STAGE[stage]
    _move(referral, Action.CLOSE if closing else Action.STAGE)
    missing = missing_for(stage, (FormKind(row.kind) for row in await forms_of(session, referral)))
    if missing:
        raise Problem(
            409,
            "Conflict",
            f"the {', '.join(missing)} form must be filed before the case moves into {stage}",
            extra={"missing_forms": missing},
        )
    if stage != referral.stage:
        # Follow-up runs from the day monitoring began; a case taken back to an earlier stage starts it again.
        following_up = stage == ReintegrationStage.MONITORING
        referral.follow_up_until = now + timedelta(days=settings.follow_up_days) if following_up else None
        referral.follow_up_breached = False
        referral.visit_due = now + timedelta(days=settings.visit_interval_days) if following_up else None
        referral.visit_breached = False
    referral.stage, referral.status, referral.outcome = stage, status, body.outcome
    events: list[EventData] = [_stage_changed(referral, now)]
    if closing:
        await _release_bed(session, referral)
        events.append(
            ReferralClosed(
                case_id=referral.case_id,
                referral_id=referral_id,
                status=CaseStatus.CLOSED,
                closed_at=now,
                outcome=body.outcome,
            )
        )
    session.add(referral)
    events += await _settle_case(session, referral.case_id, now)
    await runtime.stage(session, *events)
    return referral


async def expire_overdue(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
    """Offers not answered in time expire, each escalated to MoSVY once; a case whose care ended while its
    last offer waited closes with it. Up to a batch of cases, locked before their offers as every change
    to a referral locks them (another replica's scan skips them; the next scan takes the rest). How many
    offers expired."""
    passed = (Referral.state == ReferralState.OFFERED, col(Referral.respond_by) < now)
    of_the_case = select(Referral.referral_id).where(Referral.case_id == ReferralCase.case_id, *passed)
    cases = (
        await session.exec(
            select(ReferralCase.case_id)
            .where(of_the_case.exists())
            .order_by(col(ReferralCase.case_id))
            .with_for_update(skip_locked=True)
            .limit(SCAN_BATCH)
        )
    ).all()
    overdue = (
        await session.exec(
            select(Referral)
            .where(col(Referral.case_id).in_(cases), *passed)
            .order_by(col(Referral.referral_id))
            .with_for_update()
        )
    ).all()
    events: list[EventData] = []
    for referral in overdue:
        _move(referral, Action.EXPIRE)
        session.add(referral)
        events.append(
            ReferralDeadlineBreached(
                case_id=referral.case_id,
                referral_id=referral.referral_id,
                provider_id=referral.provider_id,
                due_at=referral.respond_by,
                breached_at=now,
            )
        )
    for case_id in cases:
        events += await _settle_case(session, case_id, now)
    await runtime.stage(session, *events)
    return len(overdue)


async def follow_up_overdue(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
    """Cases followed up past their length and not closed, told once each: MoSVY reviews them."""
    return await _tell_late(session, runtime, now, "follow_up_until", "follow_up_breached", FollowUpDeadlineBreached)


async def visit_overdue(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
    """Cases followed up without a monitoring visit for longer than the interval, told once per visit
    missed (a visit filed moves the due date and tells the next one)."""
    return await _tell_late(session, runtime, now, "visit_due", "visit_breached", VisitDeadlineBreached)


async def _tell_late(
    session: AsyncSession,
    runtime: Runtime,
    now: datetime,
    due: str,
    told: str,
    breach: type[FollowUpDeadlineBreached | VisitDeadlineBreached],
) -> int:
    """Referrals in follow-up whose date in column `due` passed and that were not told late yet (column
    `told`), one breach each. Up to a batch of referrals, locked (another replica's scan skips them; the next
    scan takes the rest). How many."""
    passed = (
        Referral.state == ReferralState.IN_CARE,
        Referral.stage == ReintegrationStage.MONITORING,
        col(getattr(Referral, due)) < now,
        col(getattr(Referral, told)).is_(False),
    )
    overdue = (
        await session.exec(select(Referral).where(*passed).with_for_update(skip_locked=True).limit(SCAN_BATCH))
    ).all()
    for referral in overdue:
        setattr(referral, told, True)
        session.add(referral)
    await runtime.stage(
        session,
        *(
            breach(
                case_id=referral.case_id,
                referral_id=referral.referral_id,
                provider_id=referral.provider_id,
                due_at=getattr(referral, due),
                breached_at=now,
            )
            for referral in overdue
        ),
    )
    return len(overdue)


async def decline_for_the_person(session: AsyncSession, stage: Stager, case_id: str) -> None:
    """The person declined services: the offers still open for them end as declined by the victim, so that
    no provider takes them in against their word, nor is blamed for an answer nobody needs any more."""
    now = datetime.now(UTC)
    await session.get(ReferralCase, case_id, with_for_update=True)
    still_open = await _referrals_of(session, case_id, (ReferralState.OFFERED,))
    declined = [_declined(session, r, DeclineReason.VICTIM_DECLINED, now) for r in still_open]
    await stage(session, *declined, *await _settle_case(session, case_id, now))


async def _referrals_of(session: AsyncSession, case_id: str, states: Sequence[ReferralState]) -> Sequence[Referral]:
    """The case's referrals in `states`, locked in a fixed order, so that two such changes never deadlock."""
    return (
        await session.exec(
            select(Referral)
            .where(Referral.case_id == case_id, col(Referral.state).in_([state.value for state in states]))
            .order_by(col(Referral.referral_id))
            .with_for_update()
        )
    ).all()


async def close_on_departure(session: AsyncSession, stage: Stager, departed: CaseRepatriated) -> None:
    """The person was handed over to their own country: Cambodia's care of them ends there. Each open
    referral closes as ClosedReferred (the other country's services take over), a bed held is freed, and
    so is the case. A shelter learns it from the referral's state instead of keeping a bed for someone
    who has left."""
    case = await session.get(ReferralCase, departed.case_id, with_for_update=True)
    if case is None or case.status in CLOSED_CASE:
        return
    open_referrals = await _referrals_of(session, departed.case_id, OPEN)
    # When Cambodia's care ended here, which follows the handover it learnt of.
    at = datetime.now(UTC)
    events: list[EventData] = [await _refer_on(session, referral, at) for referral in open_referrals]
    case.status = CaseStatus.CLOSED_REFERRED
    session.add(case)
    events.append(CaseClosed(case_id=case.case_id, status=CaseStatus.CLOSED_REFERRED, closed_at=at))
    await stage(session, *events)
