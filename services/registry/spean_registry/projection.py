"""The national case index, projected from every case topic: one ordered timeline per case, the facts
statistics are made of, and the linkage of reports of the same person into one national record."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import CloudEvent
from spean_contracts import events as e
from spean_contracts.vocabulary import Outcome, Verdict
from spean_kit.outbox import Stager
from spean_registry.adapters.tables import CaseFacts, MatchKey, TimelineEntry
from spean_registry.decisions import reapply_decisions
from spean_registry.domain.linkage import Certainty, link_group, own_record

BREACHES = (e.IdentificationDeadlineBreached, e.ReferralDeadlineBreached, e.RepatriationDeadlineBreached)


async def facts_of(session: AsyncSession, case_id: str) -> CaseFacts:
    facts = await session.get(CaseFacts, case_id, with_for_update=True)
    if facts is None:
        facts = CaseFacts(case_id=case_id, national_record_id=own_record(case_id), certainty=Certainty.CERTAIN)
        session.add(facts)
    return facts


async def project(session: AsyncSession, event: CloudEvent, stage: Stager) -> None:
    data = event.data
    await session.exec(
        insert(TimelineEntry)
        .values(
            event_id=event.id,
            case_id=event.subject,
            type=event.type,
            source=event.source,
            at=event.time,
            data=data.model_dump(mode="json"),
        )
        .on_conflict_do_nothing()
    )
    facts = await facts_of(session, event.subject)
    if isinstance(data, e.ScreeningRecorded):
        facts.province, facts.sex, facts.age_band = data.province, data.sex, data.age_band
        facts.nationality, facts.is_child, facts.agency = data.nationality, data.is_child, data.agency
        facts.year = data.screened_at.year
        await link(session, facts, data.match_keys)
    elif isinstance(data, e.CaseIdentified | e.VulnerablePersonIdentified):
        facts.province, facts.sex, facts.age_band = data.province, data.sex, data.age_band
        facts.nationality, facts.is_child, facts.agency = data.nationality, data.is_child, data.screening_agency
        facts.year = data.identified_at.year
        facts.identified = isinstance(data, e.CaseIdentified)
        facts.outcome = Outcome.TRAFFICKING_VICTIM if facts.identified else Outcome.VULNERABLE_PERSON
        if isinstance(data, e.CaseIdentified):
            facts.exploitation_types = [str(t) for t in data.exploitation_types]
    elif isinstance(data, e.DeterminationMade):
        facts.outcome = data.outcome
    elif isinstance(data, e.CaseReferred):
        facts.referred, facts.provider_id = True, data.provider_id
    elif isinstance(data, e.ServiceGapRecorded):
        facts.service_gaps += 1
    elif isinstance(data, BREACHES):
        facts.deadline_breaches += 1
    elif isinstance(data, e.CaseRepatriated):
        facts.repatriated = True
    elif isinstance(data, e.CaseProsecuted):
        facts.prosecuted = True
        facts.convicted = facts.convicted or data.verdict == Verdict.CONVICTED
    session.add(facts)


async def link(session: AsyncSession, facts: CaseFacts, keys: list[str]) -> None:
    """Link the case into its national record.

    The record is computed from the whole group of cases connected by shared keys, not from the order
    events happened to arrive in: a rebuild from Kafka, which interleaves partitions differently,
    links exactly as the live projection did. Two shared keys (names with birth date, and with birth
    year) make a link certain; one makes it probable. Analysts' merges and splits are then applied.
    """
    if not keys:
        return
    await session.exec(
        insert(MatchKey).values([{"key": k, "case_id": facts.case_id} for k in keys]).on_conflict_do_nothing()
    )
    session.add(facts)
    await session.flush()
    group, frontier = {facts.case_id}, {facts.case_id}
    while frontier:
        group_keys = select(MatchKey.key).where(col(MatchKey.case_id).in_(frontier))
        found = set((await session.exec(select(MatchKey.case_id).where(col(MatchKey.key).in_(group_keys)))).all())
        frontier = found - group
        group |= frontier
    mine, theirs = sa.orm.aliased(MatchKey), sa.orm.aliased(MatchKey)
    pairs = (
        await session.exec(
            select(mine.case_id, theirs.case_id, sa.func.count())
            .join(theirs, sa.and_(col(mine.key) == col(theirs.key), col(mine.case_id) != col(theirs.case_id)))
            .where(col(mine.case_id).in_(group))
            .group_by(mine.case_id, theirs.case_id)
        )
    ).all()
    for case_id, (record, certainty) in link_group(group, [(a, b, int(n)) for a, b, n in pairs]).items():
        await session.exec(
            sa.update(CaseFacts)
            .where(col(CaseFacts.case_id) == case_id)
            .values(national_record_id=record, certainty=certainty)
        )
    await session.refresh(facts)
    await reapply_decisions(session)
    await session.refresh(facts)
