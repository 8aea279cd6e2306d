"""Identification's latest word on each case's age, kept from its events: the child status a return gives
the person is checked against it (see domain/ages.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import AgeAssessed, ScreeningCorrected, ScreeningRecorded
from spean_contracts.vocabulary import AgeBand
from spean_repatriation.adapters.tables import CaseAge
from spean_repatriation.domain.ages import KnownAge


async def known_age(session: AsyncSession, case_id: str) -> KnownAge | None:
    row = await session.get(CaseAge, case_id)
    if row is None:
        return None
    return KnownAge(
        is_child=row.is_child, age_band=AgeBand(row.age_band), as_of=row.as_of.date(), assessed=row.assessed
    )


async def learn(session: AsyncSession, data: ScreeningRecorded | ScreeningCorrected | AgeAssessed) -> None:
    """Keeps what the event says of the case's age unless an assessment already said more: only a later
    assessment overrules one (a correction carries the assessment's age when there is one). A correction
    keeps the time the age was screened, since it corrects the age the person had then."""
    row = await session.get(CaseAge, data.case_id, with_for_update=True)
    if isinstance(data, AgeAssessed):
        if row is None or not row.assessed or row.as_of < data.assessed_at:
            await _keep(session, data.case_id, data.is_child, data.age_band, data.assessed_at, assessed=True)
    elif isinstance(data, ScreeningRecorded):
        if row is None or (not row.assessed and row.as_of <= data.screened_at):
            await _keep(session, data.case_id, data.is_child, data.age_band, data.screened_at, assessed=False)
    elif row is None or not row.assessed:
        as_of = data.corrected_at if row is None else row.as_of
        await _keep(session, data.case_id, data.is_child, data.age_band, as_of, assessed=False)


async def _keep(
    session: AsyncSession, case_id: str, is_child: bool, band: AgeBand, as_of: datetime, *, assessed: bool
) -> None:
    values = {"is_child": is_child, "age_band": band.value, "as_of": as_of, "assessed": assessed}
    await session.exec(
        insert(CaseAge)
        .values(case_id=case_id, **values)
        .on_conflict_do_update(index_elements=[CaseAge.case_id], set_=values)
    )
