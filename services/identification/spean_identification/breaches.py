"""A deadline passed: each overdue screening, returnee or determination awaiting co-signature marked, so that
its breach is told once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from spean_contracts.events import IdentificationDeadlineBreached
from spean_identification.adapters.tables import Determination, Returnee, Screening
from spean_kit.service import Runtime

Overdue = TypeVar("Overdue", Screening, Returnee, Determination)
BATCH = 500


async def tell_breaches(
    session: AsyncSession,
    runtime: Runtime,
    overdue: SelectOfScalar[Overdue],
    breach: Callable[[Overdue], IdentificationDeadlineBreached],
) -> int:
    """The rows `overdue` selects (those not told yet), a batch at a time, locked so that another replica's
    scan passes them by: each marked breached and its breach event staged. Returns how many."""
    rows = (await session.exec(overdue.with_for_update(skip_locked=True).limit(BATCH))).all()
    for row in rows:
        row.deadline_breached = True
        session.add(row)
    await runtime.stage(session, *(breach(row) for row in rows))
    return len(rows)
