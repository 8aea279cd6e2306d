"""A deadline passed: each overdue screening or returnee marked, so that its breach is told once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import IdentificationDeadlineBreached
from spean_identification.adapters.tables import Returnee, Screening
from spean_kit.service import Runtime

Overdue = TypeVar("Overdue", Screening, Returnee)


async def tell_breaches(
    session: AsyncSession,
    runtime: Runtime,
    overdue: Sequence[Overdue],
    breach: Callable[[Overdue], IdentificationDeadlineBreached],
) -> int:
    """Each overdue row marked breached and its breach event staged; returns how many."""
    for row in overdue:
        row.deadline_breached = True
        session.add(row)
    await runtime.stage(session, *(breach(row) for row in overdue))
    return len(overdue)
