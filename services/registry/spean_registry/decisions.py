"""Analysts' decisions on national records, kept apart from the projection and applied again after
every relink and rebuild: read, applied in memory, and only the cases they move written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_kit.database import hold_lock
from spean_kit.errors import Problem
from spean_registry.adapters.sql import among
from spean_registry.adapters.tables import AnalystDecision, CaseFacts
from spean_registry.domain.decisions import Decision, Kind, Links, decided, records_to_read
from spean_registry.domain.linkage import Certainty

LINKAGE_LOCK = 0x11C4


async def hold_linkage(session: AsyncSession) -> None:
    """Until the transaction ends, no other replica links or decides: linkage reads the keys and records
    others hold, and two replicas linking at once, each before the other committed, would each miss the
    other's keys and keep two reports of one person in two national records."""
    await hold_lock(session, LINKAGE_LOCK)


# Writes only what changed: a relink of a person's many reports mostly finds them where they were.
RELINK = sa.text(
    "UPDATE case_facts SET national_record_id = linked.record, certainty = linked.certainty "
    "FROM unnest(:case_ids, :records, :certainties) AS linked(case_id, record, certainty) "
    "WHERE case_facts.case_id = linked.case_id "
    "AND (case_facts.national_record_id, case_facts.certainty) IS DISTINCT FROM (linked.record, linked.certainty)"
).bindparams(
    sa.bindparam("case_ids", type_=ARRAY(sa.String)),
    sa.bindparam("records", type_=ARRAY(sa.String)),
    sa.bindparam("certainties", type_=ARRAY(sa.String)),
)


async def decide(session: AsyncSession, decision: Decision) -> str:
    """Apply a new decision; the national record its first case is in afterwards."""
    await hold_linkage(session)
    before = await _reachable_links(session, [decision])
    if not all(case in before for case in decision.case_ids):
        raise Problem(404, "Not found", "the registry does not hold every case named")
    after = decided(before, [decision])
    await write_links(session, after)
    return after[decision.case_ids[0]][0]


async def reapply_decisions(session: AsyncSession) -> None:
    """The analysts' decisions again, in the order they were made, after a relink or a rebuild. A
    handful of statements however many decisions there are: applied one by one, each took two, and a
    thousand decisions held every batch of the projection for a second."""
    rows = (await session.exec(select(AnalystDecision).order_by(col(AnalystDecision.id)))).all()
    decisions = [Decision(Kind(row.kind), tuple(row.case_ids)) for row in rows]
    if decisions:
        await write_links(session, decided(await _reachable_links(session, decisions), decisions))


async def _reachable_links(session: AsyncSession, decisions: Sequence[Decision]) -> Links:
    named = {case for decision in decisions for case in decision.case_ids}
    links = await _links_where(session, col(CaseFacts.case_id), named)
    read: set[str] = set()
    while wanted := records_to_read(decisions, links) - read:
        links |= await _links_where(session, col(CaseFacts.national_record_id), wanted)
        read |= wanted
    return links


async def _links_where(session: AsyncSession, column: Any, values: set[str]) -> Links:
    found = await session.exec(
        select(CaseFacts.case_id, CaseFacts.national_record_id, CaseFacts.certainty).where(among(column, values))
    )
    return {case: (record, Certainty(certainty)) for case, record, certainty in found.all()}


async def write_links(session: AsyncSession, links: Links) -> None:
    """Writes `links`, skipping those the table already holds; the objects the session holds are
    reloaded before anyone reads them."""
    await session.execute(
        RELINK,
        {
            "case_ids": list(links),
            "records": [record for record, _ in links.values()],
            "certainties": [certainty.value for _, certainty in links.values()],
        },
    )
    session.expire_all()
