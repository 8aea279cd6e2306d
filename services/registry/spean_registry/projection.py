"""The national case index, projected from every case topic: one ordered timeline per case, the facts
statistics are made of, and the linkage of reports of the same person into one national record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts import CloudEvent
from spean_contracts import events as e
from spean_contracts.fields import EventData, local_day
from spean_contracts.vocabulary import ConsentPurpose, Outcome, Verdict
from spean_kit.outbox import Stager
from spean_registry.adapters.sql import among
from spean_registry.adapters.tables import CaseFacts, CourtYear, MatchKey, TimelineEntry
from spean_registry.decisions import hold_linkage, reapply_decisions, write_links
from spean_registry.domain.charges import most_serious
from spean_registry.domain.consents import precedence
from spean_registry.domain.deadlines import missed_deadline
from spean_registry.domain.linkage import Certainty, national_records, own_record
from spean_registry.domain.sentences import sentence_band
from spean_registry.domain.waits import PLACEMENT, RETURN

# Events whose match keys link their case: a screening's, the same screening's made again under a new secret,
# and a corrected screening's. The keys of an earlier secret are kept: cases not renewed yet still link through
# them. A correction's replace the case's keys.
KEYED = (e.ScreeningRecorded, e.MatchKeysRenewed, e.ScreeningCorrected)


_decided = insert(CourtYear)
# A later decision of the same year replaces an earlier one (the verdict of a case pending in January); an
# older one, replayed or late, never does.
COURT_YEAR = _decided.on_conflict_do_update(
    index_elements=["court_case_id", "year"],
    set_={column.name: _decided.excluded[column.name] for column in _decided.table.columns if not column.primary_key},
    where=col(CourtYear.decided_on) <= _decided.excluded.decided_on,
)


def _court_year(decided: e.CourtOutcomeRecorded) -> dict[str, object]:
    return {
        "court_case_id": decided.court_case_id,
        "year": decided.decided_on.year,
        "decided_on": decided.decided_on,
        "verdict": decided.verdict.value,
        "category": most_serious(charge.category for charge in decided.charges).value,
        "court_province": decided.court_province.value,
        "settlement": decided.settlement,
        "absconded": decided.defendant_absconded,
        "restitution_ordered": decided.restitution_ordered_khr > 0,
        # Paid in full: restitution ordered and partly paid is not yet the victim's.
        "restitution_paid": 0 < decided.restitution_ordered_khr <= decided.restitution_paid_khr,
        "sentence": sentence_band(decided.sentence_months).value,
    }


async def project(session: AsyncSession, event: CloudEvent, stage: Stager) -> None:
    await project_batch(session, [event], stage)


async def project_batch(session: AsyncSession, events: list[CloudEvent], stage: Stager) -> None:
    """Project events in order: their timeline entries in one statement, their cases' facts locked and
    read in one query, updated in memory, and linkage computed once per screening."""
    # executemany, not one VALUES list: the statement is compiled once and cached, whatever the batch size.
    await session.execute(
        insert(TimelineEntry).on_conflict_do_nothing(),
        [
            {
                "event_id": event.id,
                "case_id": event.subject,
                "type": event.type,
                "source": event.source,
                "at": event.time,
                "data": event.data.model_dump(mode="json"),
                "trace_id": event.trace_id,
            }
            for event in events
        ],
    )
    decisions = [_court_year(event.data) for event in events if isinstance(event.data, e.CourtOutcomeRecorded)]
    if decisions:
        await session.execute(COURT_YEAR, decisions)
    case_ids = sorted({event.subject for event in events})
    # A correction relinks even with no keys: it forgets the ones its case held.
    if any(
        isinstance(event.data, e.ScreeningCorrected) or (isinstance(event.data, KEYED) and event.data.match_keys)
        for event in events
    ):
        # Before the cases' rows: a replica linking holds the lock and may write any case's row.
        await hold_linkage(session)
    locked = (await session.exec(select(CaseFacts).where(col(CaseFacts.case_id).in_(case_ids)).with_for_update())).all()
    facts = {row.case_id: row for row in locked}
    screenings: list[tuple[str, list[str]]] = []
    corrected: set[str] = set()
    for event in events:
        if event.subject not in facts:
            facts[event.subject] = CaseFacts(
                case_id=event.subject, national_record_id=own_record(event.subject), certainty=Certainty.CERTAIN
            )
            session.add(facts[event.subject])
        case = facts[event.subject]
        apply_facts(case, event.data)
        if isinstance(event.data, e.ScreeningCorrected):
            # The keys the case was linked by before came from wrong data: the corrected ones replace them all.
            screenings = [(case_id, keys) for case_id, keys in screenings if case_id != case.case_id]
            corrected.add(case.case_id)
        if isinstance(event.data, KEYED):
            screenings.append((case.case_id, event.data.match_keys))
    for case in facts.values():
        session.add(case)
    await session.flush()
    await link(session, screenings, await _unkeyed(session, corrected))


def apply_facts(facts: CaseFacts, data: EventData) -> None:
    """What one event tells the statistics about its case. A JSON column takes a new list or mapping: one
    changed in place would not be written."""
    if isinstance(data, e.ScreeningRecorded):
        facts.province, facts.sex, facts.age_band = data.province, data.sex, data.age_band
        facts.nationality, facts.is_child, facts.agency = data.nationality, data.is_child, data.agency
        facts.encounter, facts.continuum = data.encounter, data.continuum
        facts.year = year = local_day(data.screened_at).year
        # The first screening's: a year's screenings stay counted in it, whatever came later.
        facts.screened_year = _earliest(facts.screened_year, year)
        facts.screened = True
    elif isinstance(data, e.CaseIdentified | e.VulnerablePersonIdentified):
        facts.province, facts.sex, facts.age_band = data.province, data.sex, data.age_band
        facts.nationality, facts.is_child, facts.agency = data.nationality, data.is_child, data.screening_agency
        facts.year = local_day(data.identified_at).year
        facts.identified = isinstance(data, e.CaseIdentified)
        facts.identified_at = min(facts.identified_at or data.identified_at, data.identified_at)
        facts.placement_wait = PLACEMENT.of(facts.identified_at, facts.referred_at)
        facts.outcome = Outcome.TRAFFICKING_VICTIM if facts.identified else Outcome.VULNERABLE_PERSON
        if isinstance(data, e.CaseIdentified):
            facts.exploitation_types = [str(t) for t in data.exploitation_types]
    elif isinstance(data, e.ScreeningCorrected):
        facts.province, facts.sex, facts.age_band = data.province, data.sex, data.age_band
        facts.nationality, facts.is_child = data.nationality, data.is_child
    elif isinstance(data, e.AgeAssessed):
        facts.age_band, facts.is_child = data.age_band, data.is_child
    elif isinstance(data, e.DeterminationMade):
        facts.outcome = data.outcome
    elif isinstance(data, e.CaseReferred):
        facts.referred, facts.provider_id = True, data.provider_id
        facts.referred_at = min(facts.referred_at or data.referred_at, data.referred_at)
        facts.placement_wait = PLACEMENT.of(facts.identified_at, facts.referred_at)
    elif isinstance(data, e.ReferralClosed) and data.outcome is not None:
        facts.care_outcomes = [*facts.care_outcomes, data.outcome.value]
    elif isinstance(data, e.ConsentRecorded) and data.purpose == ConsentPurpose.RESEARCH:
        _consented(facts, data.given, data.recorded_at)
    elif isinstance(data, e.PersonalDataErased):
        # A person who had their data erased is not studied from what is left of it: as a withdrawal.
        _consented(facts, False, data.erased_at)
    elif isinstance(data, e.ServiceGapRecorded):
        facts.gap_needs = [*facts.gap_needs, data.need.value]
    elif (missed := missed_deadline(data)) is not None:
        facts.breached_deadlines = [*facts.breached_deadlines, missed]
    elif isinstance(data, e.CaseRepatriated):
        facts.repatriated, facts.returned_to = True, data.to_country
        facts.repatriated_at = min(facts.repatriated_at or data.repatriated_at, data.repatriated_at)
        facts.repatriated_year = local_day(facts.repatriated_at).year
        facts.return_wait = RETURN.of(facts.requested_at, facts.repatriated_at)
    elif isinstance(data, e.RepatriationRequested):
        facts.requested_at = min(facts.requested_at or data.at, data.at)
        facts.return_wait = RETURN.of(facts.requested_at, facts.repatriated_at)
    elif isinstance(data, e.CaseProsecuted):
        facts.prosecuted = True
        facts.verdicts = {**facts.verdicts, data.court_case_id: data.verdict.value}
        facts.convicted = Verdict.CONVICTED.value in facts.verdicts.values()


def _consented(facts: CaseFacts, given: bool, at: datetime) -> None:
    """The case's consent to research, recorded at `at`, if it is the record in force (domain/consents.py)."""
    known = [] if facts.research_consent_at is None else [(facts.research_consent_at, bool(facts.research_consent))]
    facts.research_consent_at, facts.research_consent = max([*known, (at, given)], key=precedence)


def _earliest(known: int | None, year: int) -> int:
    """The earlier of a year already known (if any) and `year`: events of a case may come in any order."""
    return year if known is None else min(known, year)


async def _unkeyed(session: AsyncSession, corrected: set[str]) -> set[str]:
    """Forget the keys of the corrected cases; the cases whose records must be linked again without them: the
    corrected ones and every other that held one of their keys. The caller holds the linkage lock, taken
    before the cases' rows."""
    if not corrected:
        return set()
    keys_of = select(MatchKey.key).where(among(col(MatchKey.case_id), corrected))
    sharing = await session.exec(
        select(MatchKey.case_id).where(col(MatchKey.key).in_(keys_of), sa.not_(among(col(MatchKey.case_id), corrected)))
    )
    others = set(sharing.all())
    await session.execute(sa.delete(MatchKey).where(among(col(MatchKey.case_id), corrected)))
    return others | corrected


async def link(session: AsyncSession, screened: list[tuple[str, list[str]]], relinked: set[str] | None = None) -> None:
    """Link screened cases into their national records.

    A record is computed from the whole group of cases connected by shared keys, not from the order
    events happened to arrive in: a rebuild from Kafka, which interleaves partitions differently,
    links exactly as the live projection did. Analysts' merges and splits are then applied. All the
    screenings of a batch are linked together, in a handful of statements, and only the cases whose
    record or certainty changed are written: a person screened n times is n cases to relink, and
    rewriting them all at every new screening made each batch seconds of the event loop's time.
    `relinked` are cases linked again though they bring no new key: their keys changed.
    """
    rows = [{"key": key, "case_id": case_id} for case_id, keys in screened for key in keys]
    if not rows and not relinked:
        return
    await hold_linkage(session)
    if rows:
        await session.execute(insert(MatchKey).on_conflict_do_nothing(), rows)
    await session.flush()
    holders: dict[str, Sequence[str]] = {}
    reached = {case_id for case_id, keys in screened if keys} | (relinked or set())
    frontier = set(reached)
    while frontier:
        keys_of = select(MatchKey.key).where(among(col(MatchKey.case_id), frontier))
        found = (
            await session.exec(
                select(MatchKey.key, sa.func.array_agg(MatchKey.case_id))
                .where(col(MatchKey.key).in_(keys_of), sa.not_(among(col(MatchKey.key), holders)))
                .group_by(MatchKey.key)
            )
        ).all()
        holders.update(found)
        frontier = {case for _, cases in found for case in cases} - reached
        reached |= frontier
    linked = national_records(holders)
    # A case left holding no key (corrected into none) stands alone.
    linked |= {case: (own_record(case), Certainty.CERTAIN) for case in reached - linked.keys()}
    await write_links(session, linked)
    await reapply_decisions(session)
