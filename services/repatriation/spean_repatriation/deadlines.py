"""Deadlines of the SOP made visible: verification not answered in time, a scheduled handover's day gone by
without its minutes or without the return certificate, and messages the counterpart has not acknowledged
within the receipt deadline. Each breach is announced once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from spean_contracts.events import RepatriationDeadlineBreached
from spean_contracts.fields import INDOCHINA, local_day
from spean_kit.service import Runtime
from spean_repatriation.adapters.tables import ChainLink, CrossBorderOutbox, Repatriation, SopMessage
from spean_repatriation.domain.procedure import AWAITING_VERIFICATION, State
from spean_repatriation.exchange import Exchange, countries


def deadline_scan(exchange: Exchange) -> Callable[[AsyncSession, Runtime, datetime], Awaitable[int]]:
    async def scan_deadlines(session: AsyncSession, runtime: Runtime, now: datetime) -> int:
        breaches: list[RepatriationDeadlineBreached] = []
        late = await _unannounced(
            session,
            col(Repatriation.state).in_([s.value for s in AWAITING_VERIFICATION]),
            col(Repatriation.verification_due_at) < now,
            col(Repatriation.verification_breached).is_(False),
        )
        for row in late:
            assert row.verification_due_at is not None
            row.verification_breached = True
            breaches.append(_breach(exchange, row, "verification", row.verification_due_at, 5, now))
        # Minutes are signed at the gate on the day: once that day is over at the border, the persons are still
        # waiting in the destination country's care, and both sides are told.
        missed = await _unannounced(
            session,
            Repatriation.state == State.HANDOVER_SCHEDULED,
            col(Repatriation.handover_date) < local_day(now),
            col(Repatriation.handover_breached).is_(False),
        )
        for row in missed:
            assert row.handover_date is not None
            row.handover_breached = True
            breaches.append(_breach(exchange, row, "handover", _day_over(row.handover_date), 8, now))
        # The return certificate is issued on the spot: by the end of the handover's day at the border.
        uncertified = await _unannounced(
            session,
            Repatriation.state == State.HANDED_OVER,
            col(Repatriation.handed_over_at) < _day_over(local_day(now) - timedelta(days=1)),
            col(Repatriation.certificate_breached).is_(False),
        )
        for row in uncertified:
            assert row.handed_over_at is not None
            row.certificate_breached = True
            breaches.append(_breach(exchange, row, "certificate", _day_over(local_day(row.handed_over_at)), 8, now))
        session.add_all([*late, *missed, *uncertified])
        receipt_due = now - timedelta(hours=exchange.settings.receipt_deadline_hours)
        unacknowledged = (
            await session.exec(
                select(CrossBorderOutbox)
                .where(CrossBorderOutbox.status == "pending")
                .where(col(CrossBorderOutbox.created_at) < receipt_due)
                .where(col(CrossBorderOutbox.receipt_breached).is_(False))
                .with_for_update(skip_locked=True)
            )
        ).all()
        for entry in unacknowledged:
            entry.receipt_breached = True
            session.add(entry)
            message = await session.get(SopMessage, entry.message_id)
            assert message is not None
            links = (await session.exec(select(ChainLink).where(ChainLink.message_id == entry.message_id))).all()
            due = entry.created_at + timedelta(hours=exchange.settings.receipt_deadline_hours)
            for link in links:
                case = await session.get(Repatriation, link.reference)
                assert case is not None
                breaches.append(_breach(exchange, case, "receipt", due, message.sop_step, now))
        if breaches:
            await runtime.stage(session, *breaches)
        return len(breaches)

    return scan_deadlines


async def _unannounced(session: AsyncSession, *passed: ColumnElement[bool] | bool) -> Sequence[Repatriation]:
    """The returns whose deadline `passed` and is not announced yet, locked: another replica's scan skips them."""
    return (await session.exec(select(Repatriation).where(*passed).with_for_update(skip_locked=True))).all()


def _day_over(day: date) -> datetime:
    """The moment `day` ends at the border."""
    return datetime.combine(day + timedelta(days=1), time(), INDOCHINA)


def _breach(
    exchange: Exchange, row: Repatriation, deadline: str, due: datetime, step: int, now: datetime
) -> RepatriationDeadlineBreached:
    destination, origin = countries(row, exchange.country)
    return RepatriationDeadlineBreached(
        case_id=row.case_id,
        repatriation_id=row.reference,
        destination_country=destination,
        origin_country=origin,
        sop_step=step,
        at=now,
        deadline=deadline,
        due_at=due,
    )
