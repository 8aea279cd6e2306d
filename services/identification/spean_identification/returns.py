"""Returnees: Cambodians handed over by Viet Nam under the SOP, as repatriation announces them.

A returnee is re-screened at the transit centre (SOP step 9). That screening names the return, and so
continues the case the return opened here: the national registry then tells one story from Viet Nam's
request to reintegration, rather than a return and an unrelated screening of the same person."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import CaseRepatriated, IdentificationDeadlineBreached
from spean_contracts.vocabulary import Agency, Country
from spean_identification.adapters.tables import Returnee
from spean_identification.breaches import tell_breaches
from spean_kit.service import Runtime
from spean_kit.workers import Job

# Identification is Cambodia's service: only returns to Cambodia bring a person to its transit centres.
HOME = Country.CAMBODIA


async def record_returnee(session: AsyncSession, repatriated: CaseRepatriated) -> None:
    if repatriated.to_country == HOME:
        await session.exec(
            insert(Returnee)
            .values(
                repatriation_id=repatriated.repatriation_id,
                case_id=repatriated.case_id,
                from_country=repatriated.from_country.value,
                repatriated_at=repatriated.repatriated_at,
            )
            .on_conflict_do_nothing()
        )


def reception_scan(hours: float) -> Job:
    """Returnees handed over more than `hours` ago and still not screened on arrival: a breach of the
    screening stage each, told once, so that nobody handed over at the border is left unseen."""

    async def reception_breach_scan(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
        overdue = (
            select(Returnee)
            .where(col(Returnee.screening_id).is_(None), col(Returnee.deadline_breached).is_(False))
            .where(col(Returnee.repatriated_at) < now - timedelta(hours=hours))
        )
        return await tell_breaches(
            session,
            runtime,
            overdue,
            lambda returnee: IdentificationDeadlineBreached(
                case_id=returnee.case_id,
                stage="screening",
                agency=Agency.MOSVY,
                due_at=returnee.repatriated_at + timedelta(hours=hours),
                breached_at=now,
            ),
        )

    return reception_breach_scan


@dataclass(frozen=True)
class NotReceivable:
    """Why a screening cannot continue the return it names: a 409 for that screening."""

    kind: str
    detail: str

    def error(self, path: str) -> dict[str, str]:
        """The field error naming the return, in the shape of a validation error."""
        return {"path": path, "rule": self.kind.replace("-", "_"), "message": self.detail}


async def returnees(session: AsyncSession, references: Collection[str]) -> dict[str, Returnee]:
    """The returns named, locked: two screenings of one returnee at once would both find it unscreened."""
    if not references:
        return {}
    found = await session.exec(
        select(Returnee).where(col(Returnee.repatriation_id).in_(sorted(references))).with_for_update()
    )
    return {row.repatriation_id: row for row in found.all()}


def receivable(returnee: Returnee | None, reference: str) -> Returnee | NotReceivable:
    """The return a screening may continue, or why it may not."""
    if returnee is None:
        return NotReceivable(
            "return-unknown",
            f"no return {reference} has been handed over to Cambodia; "
            "a return is known here once its handover minutes are signed",
        )
    if returnee.screening_id is not None:
        return NotReceivable(
            "return-screened", f"the person of return {reference} was screened on arrival ({returnee.screening_id})"
        )
    return returnee
