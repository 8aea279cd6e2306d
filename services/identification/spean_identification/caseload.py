"""The screenings an agency lists: its caseload, the competent authority's queue of cases awaiting a
determination and the police's of those awaiting their co-signature, earliest deadline first.
Pseudonymous: listing them reads no personal data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from spean_identification import ages
from spean_identification.adapters.tables import Determination, Screening
from spean_identification.api.schemas import ScreeningListed
from spean_identification.determinations import AWAITING, CO_SIGNING_AGENCY
from spean_identification.screenings import agency_of
from spean_kit.auth import Forbidden, Principal

Awaiting = Literal["determination", "co-signature"]
# What a list shows of a screening: neither its sealed personal data nor the person's profile.
SUMMARY = [name for name in ScreeningListed.model_fields if name not in ("determination", "outcome")]


def caseload(principal: Principal, agency: str | None, awaiting: Awaiting | None) -> SelectOfScalar[Screening]:
    """The screenings an agency sees in its list: its own, or any agency's for the competent authority;
    those whose case awaits a determination, or its co-signature, if asked. The police who co-sign list
    every agency's cases awaiting their co-signature: a transit centre's or an NGO's screening waits for
    them as much as their own."""
    own = agency_of(principal)
    co_signing = awaiting == "co-signature" and "co-signer" in principal.roles and own == CO_SIGNING_AGENCY
    if "determiner" not in principal.roles and not co_signing:
        if agency not in (None, own):
            raise Forbidden("an agency lists its own screenings; the competent authority lists any agency's")
        agency = own
    query = select(Screening)
    if agency is not None:
        query = query.where(Screening.agency == agency)
    decided = select(Determination.case_id).where(Determination.case_id == Screening.case_id)
    if awaiting == "determination":
        query = query.where(~decided.exists())
    elif awaiting == "co-signature":
        query = query.where(decided.where(Determination.status == AWAITING).exists())
    return query


async def listed(session: AsyncSession, shown: Sequence[Screening]) -> list[ScreeningListed]:
    """The page's screenings, each with where its case's determination stands and whether the person is a child
    as last known (one query each for the page)."""
    cases = [screening.case_id for screening in shown]
    decisions = {
        d.case_id: d
        for d in (await session.exec(select(Determination).where(col(Determination.case_id).in_(cases)))).all()
    }
    assessed = await ages.latest_of(session, cases)
    answers = []
    for screening in shown:
        decision = decisions.get(screening.case_id)
        standing = {"determination": decision.status, "outcome": decision.outcome} if decision else {}
        aged = {"is_child": assessed[screening.case_id].is_child} if screening.case_id in assessed else {}
        answers.append(ScreeningListed.model_validate({**_summary(screening), **standing, **aged}))
    return answers


def _summary(screening: Screening) -> dict[str, object]:
    return {field: getattr(screening, field) for field in SUMMARY}
