"""Deadlines of the SOP, counted in working days (Monday to Friday, less the counterpart's holidays)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta


def add_working_days(start: datetime, days: int, holidays: Collection[date] = ()) -> datetime:
    """The moment `days` working days after `start`; zero days is `start` itself."""
    moment = start
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5 and moment.date() not in holidays:
            remaining -= 1
    return moment


def notice_is_enough(sent_on: date, handover_date: date, notice_days: int) -> bool:
    """Viet Nam asks for at least `notice_days` days' notice before a handover at its border."""
    return (handover_date - sent_on).days >= notice_days
