"""National records: reading a case's timeline, or a person's across their cases, under the access rule;
the analysts' list of records to review, and their merges and splits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi import Request, Response
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.fields import purpose_stated
from spean_kit.auth import Forbidden, Principal
from spean_kit.errors import Problem, purpose_required
from spean_kit.pages import Keyset, PageRequest
from spean_registry import audit, decisions
from spean_registry.adapters.tables import AnalystDecision, CaseFacts, TimelineEntry
from spean_registry.api.schemas import Link, LinkedReport, PersonTimeline, Record, Timeline, TimelineItem
from spean_registry.domain.decisions import Decision, Kind
from spean_registry.domain.linkage import Certainty

TIMELINE_ROLES = frozenset({"determiner", "case-worker", "court-clerk", "auditor", "repatriation-officer"})
# Keyed hashes of a person's names and birth date serve the registry's linkage alone. Shown to every
# reader of a timeline, they would let anyone who ever learns identification's secret test guessed names
# against them.
FOR_LINKAGE_ONLY = frozenset({"match_keys"})


async def _links(session: AsyncSession, national_record_id: str) -> list[Link]:
    reported = (await _reports(session, [national_record_id]))[national_record_id]
    return [Link(case_id=report.case_id, certainty=report.certainty) for report in reported]


async def _reports(session: AsyncSession, national_record_ids: Sequence[str]) -> dict[str, list[LinkedReport]]:
    """The cases linked into each record, each with what its report says of the person."""
    rows = (
        await session.exec(
            select(CaseFacts)
            .where(col(CaseFacts.national_record_id).in_(national_record_ids))
            .order_by(col(CaseFacts.case_id))
        )
    ).all()
    reports: dict[str, list[LinkedReport]] = {record_id: [] for record_id in national_record_ids}
    for row in rows:
        reports[row.national_record_id].append(LinkedReport.model_validate(row, from_attributes=True))
    return reports


async def timeline(session: AsyncSession, principal: Principal, case_id: str, purpose: str | None) -> Timeline:
    facts = await session.get(CaseFacts, case_id)
    if facts is None:
        raise Problem(404, "Not found", "the registry holds nothing for this case")
    provider_of_case = "provider" in principal.roles and facts.provider_id == principal.organisation
    if not (TIMELINE_ROLES & principal.roles or provider_of_case):
        raise Forbidden("case timelines are for the roles that work on cases, and for the provider of the case")
    if not purpose_stated(purpose):
        raise purpose_required("state why the timeline is read (purpose)")
    entries = await _entries(session, [case_id])
    await audit.record(session, principal, "timeline-read", case_id, purpose)
    return Timeline(
        case_id=case_id,
        national_record_id=facts.national_record_id,
        links=await _links(session, facts.national_record_id),
        entries=entries,
    )


async def person_timeline(
    session: AsyncSession, principal: Principal, national_record_id: str, purpose: str | None
) -> PersonTimeline:
    """Every agency's events about one person, across the cases linked into their national record, in the
    order they happened. Those of a report linked by a looser key (names and birth year, an estimated age)
    are among them, as the registry counts that report as the person's; its link says `probable`."""
    if not purpose_stated(purpose):
        raise purpose_required("state why the person's timeline is read (purpose)")
    links = await _links(session, national_record_id)
    if not links:
        raise Problem(404, "Not found", "no such national record")
    case_ids = [link.case_id for link in links]
    entries = await _entries(session, case_ids)
    await audit.record(session, principal, "person-timeline-read", ",".join(case_ids), purpose)
    return PersonTimeline(national_record_id=national_record_id, links=links, entries=entries)


async def _entries(session: AsyncSession, case_ids: Sequence[str]) -> list[TimelineItem]:
    """The events about the cases, in the order they happened, as their readers see them."""
    rows = (
        await session.exec(
            select(TimelineEntry)
            .where(col(TimelineEntry.case_id).in_(case_ids))
            .order_by(col(TimelineEntry.at), col(TimelineEntry.event_id))
        )
    ).all()
    return [
        TimelineItem(
            case_id=entry.case_id,
            event_id=entry.event_id,
            type=entry.type,
            source=entry.source,
            at=entry.at,
            data={name: value for name, value in entry.data.items() if name not in FOR_LINKAGE_ONLY},
            trace_id=entry.trace_id,
        )
        for entry in rows
    ]


async def record_of(session: AsyncSession, national_record_id: str) -> Record:
    links = (await _reports(session, [national_record_id]))[national_record_id]
    if not links:
        raise Problem(404, "Not found", "no such national record")
    return Record(national_record_id=national_record_id, links=links)


# A page of national records, by id: one row of each record listed (DISTINCT ON), its cases read after.
LISTED = Keyset((col(CaseFacts.national_record_id),))


async def listed(
    session: AsyncSession, probable: bool, page: PageRequest, request: Request, response: Response
) -> list[Record]:
    """National records by id, a page at a time; only those holding a probable link, where `probable`: the
    analysts' queue of reports linked by a looser key, to confirm (merge) or take out (split)."""
    query = select(CaseFacts).ext(distinct_on(col(CaseFacts.national_record_id)))
    if probable:
        query = query.where(CaseFacts.certainty == Certainty.PROBABLE.value)
    shown = [row.national_record_id for row in await LISTED.read(session, query, page, request, response)]
    reports = await _reports(session, shown)
    return [Record(national_record_id=record_id, links=reports[record_id]) for record_id in shown]


async def decide(session: AsyncSession, principal: Principal, kind: str, case_ids: list[str], reason: str) -> str:
    record_id = await decisions.decide(session, Decision(Kind(kind), tuple(case_ids)))
    session.add(
        AnalystDecision(kind=kind, case_ids=case_ids, reason=reason, by_subject=principal.subject, at=datetime.now(UTC))
    )
    await audit.record(session, principal, f"record-{kind}", ",".join(case_ids))
    return record_id
