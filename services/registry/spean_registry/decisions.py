"""Analysts' decisions on national records: a merge of records that are one person, a split of a case
wrongly linked. Kept apart from the projection, and applied again after every relink and rebuild."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_kit.errors import Problem
from spean_registry.adapters.sql import among
from spean_registry.adapters.tables import AnalystDecision, CaseFacts
from spean_registry.domain.linkage import Certainty, own_record


async def apply_merge(session: AsyncSession, case_ids: list[str]) -> str:
    facts = (await session.exec(select(CaseFacts).where(col(CaseFacts.case_id).in_(case_ids)))).all()
    if len(facts) != len(set(case_ids)):
        raise Problem(404, "Not found", "the registry does not hold every case named")
    records = sorted({f.national_record_id for f in facts})
    survivor = records[0]
    await session.exec(
        sa.update(CaseFacts)
        .where(col(CaseFacts.national_record_id).in_(records))
        .values(national_record_id=survivor, certainty=Certainty.CERTAIN)
    )
    return survivor


async def apply_split(session: AsyncSession, case_id: str) -> str:
    facts = await session.get(CaseFacts, case_id)
    if facts is None:
        raise Problem(404, "Not found", "the registry holds nothing for this case")
    facts.national_record_id, facts.certainty = own_record(case_id), Certainty.CERTAIN
    session.add(facts)
    return facts.national_record_id


async def reapply_decisions(session: AsyncSession) -> int:
    """The analysts' decisions again, in the order they were made, after a relink or a rebuild. A
    decision about cases the index does not hold yet (a rebuild still replaying) waits for them."""
    decisions = (await session.exec(select(AnalystDecision).order_by(col(AnalystDecision.id)))).all()
    held = set(
        (
            await session.exec(
                select(CaseFacts.case_id).where(
                    among(col(CaseFacts.case_id), (c for d in decisions for c in d.case_ids))
                )
            )
        ).all()
    )
    applied = 0
    for decision in decisions:
        if not set(decision.case_ids) <= held:
            continue
        if decision.kind == "merge":
            await apply_merge(session, decision.case_ids)
        else:
            await apply_split(session, decision.case_ids[0])
        applied += 1
    return applied
