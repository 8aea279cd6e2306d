"""Deadlines of the identification procedure."""

from __future__ import annotations

from datetime import datetime, timedelta


def determination_due(screened_at: datetime, hours: float) -> datetime:
    return screened_at + timedelta(hours=hours)


def breached(due: datetime, now: datetime) -> bool:
    return now > due
