"""Identification's latest word on each case's age, kept from its events: the child status a return gives
the person is checked against it (see domain/ages.py)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import AgeAssessed, ScreeningCorrected, ScreeningRecorded
from spean_contracts.fields import local_day
from spean_contracts.vocabulary import AgeBand
from spean_repatriation.adapters.tables import CaseAge
from spean_repatriation.domain.ages import KnownAge


async def known_age(session: AsyncSession, case_id: str) -> KnownAge | None:
    row = await session.get(CaseAge, case_id)
    return None if row is None else _known(row)


async def learn(session: AsyncSession, data: ScreeningRecorded | ScreeningCorrected | AgeAssessed) -> KnownAge:
    """Keeps what the event says of the case's age unless an assessment already said more: only a later
    assessment overrules one (a correction carries the assessment's age when there is one). A correction
    keeps the time the age was screened, since it corrects the age the person had then. Returns the case's
    age as now known."""
    row = await session.get(CaseAge, data.case_id, with_for_update=True)
    if isinstance(data, AgeAssessed):
        as_of, assessed = data.assessed_at, True
        newer = row is None or not row.assessed or row.as_of < as_of
    elif isinstance(data, ScreeningRecorded):
        as_of, assessed = data.screened_at, False
        newer = row is None or (not row.assessed and row.as_of <= as_of)
    else:
        as_of, assessed = (data.corrected_at if row is None else row.as_of), False
        newer = row is None or not row.assessed
    if row is None:
        row = CaseAge(
            case_id=data.case_id, is_child=data.is_child, age_band=data.age_band.value, as_of=as_of, assessed=assessed
        )
    elif newer:
        row.is_child, row.age_band, row.as_of, row.assessed = data.is_child, data.age_band.value, as_of, assessed
    session.add(row)
    return _known(row)


def _known(row: CaseAge) -> KnownAge:
    return KnownAge(
        is_child=row.is_child, age_band=AgeBand(row.age_band), as_of=local_day(row.as_of), assessed=row.assessed
    )
