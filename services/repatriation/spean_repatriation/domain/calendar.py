"""Deadlines of the SOP, counted in working days (Monday to Friday, less the counterpart's holidays), and
notice, counted in days: days at the border, in Cambodia and Viet Nam (UTC+07:00), not in UTC."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta

from spean_contracts.fields import INDOCHINA, local_day


def add_working_days(start: datetime, days: int, holidays: Collection[date] = ()) -> datetime:
    """The moment `days` working days after `start`, in UTC as every moment Spean keeps; zero days is
    `start` itself."""
    moment = start.astimezone(INDOCHINA)
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5 and moment.date() not in holidays:
            remaining -= 1
    return moment.astimezone(UTC)


def notice_is_enough(sent_at: datetime, handover_date: date, notice_days: int) -> bool:
    """Viet Nam asks for at least `notice_days` days' notice before a handover at its border: from the day
    the proposal was sent there."""
    return (handover_date - local_day(sent_at)).days >= notice_days
