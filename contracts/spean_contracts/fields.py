"""Field helpers that classify every event field for privacy (`x-spean-pii`) as it is declared."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, StringConstraints
from pydantic import BaseModel as _BaseModel
from pydantic_core import PydanticCustomError

CaseId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{7,63}$")]
"""The pseudonymous case id: random, meaningless outside Spean, the Kafka key of every case event."""

LocalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{7,63}$")]
"""An id a service gives its own records (a referral, a provider, a handover): never a person's."""

ProviderId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{7,63}$")]
"""A provider's id in the referral directory (`prov-ngo-shelter-01`), chosen by the directory manager:
lower-case, and a `LocalId`, as the referral events carry it; a shorter one could be listed, never offered."""

MatchKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}$")]
"""A keyed hash (HMAC-SHA-256, base64url) of normalised personal data; not reversible without the key."""

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _plausible(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise PydanticCustomError("datetime_range", "must lie in the years 1900 to 2199 (UTC)")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_plausible)]
"""A moment a caller gives: with its UTC offset (a time without one means different moments in Phnom
Penh and in Hanoi) and within years any record of a case can fall in. Python cannot take a moment at
either end of its calendar to UTC (year 1 at +14:00), which the database needs."""


# A caller's clock may run a little fast; a moment further ahead than this did not happen yet.
CLOCK_SKEW = timedelta(minutes=5)


def _happened(value: datetime) -> datetime:
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise PydanticCustomError("datetime_past", "must not lie in the future")
    return value


Happened = Annotated[
    Instant,
    AfterValidator(_happened),
    Field(description="With its UTC offset, and not in the future (5 minutes allowed): rule datetime_past."),
]
"""A moment something already happened (an encounter, a consent, a handover): an `Instant` not in the
future, give or take a caller's clock running five minutes fast."""


MIN_PURPOSE = 5
"""A read the audit trail keeps says why in this many characters or more, besides spaces."""


def purpose_stated(purpose: str | None) -> bool:
    """Whether a reader said why they read: at least five characters besides spaces."""
    return purpose is not None and len(purpose.strip()) >= MIN_PURPOSE


# Cambodia and Viet Nam both keep UTC+07:00 all year: their days, years, working days and notice periods.
INDOCHINA = timezone(timedelta(hours=7))


def local_day(moment: datetime) -> date:
    """The day a moment falls on in Cambodia and Viet Nam, whatever UTC offset it was given with and when it
    comes back from the database in UTC: for seven hours of every day it is a day ahead of UTC's."""
    return moment.astimezone(INDOCHINA).date()


def local_today() -> date:
    """Today in Cambodia and Viet Nam."""
    return local_day(datetime.now(UTC))


def today_anywhere() -> date:
    """The latest date it is anywhere now (UTC+14:00): a date a caller calls today is never after it,
    and Phnom Penh (UTC+07:00) is a day ahead of UTC for seven hours of every day."""
    return (datetime.now(UTC) + timedelta(hours=14)).date()


def earliest_today() -> date:
    """The earliest date it is anywhere now (UTC-12:00): a person not yet 18 somewhere is still a child."""
    return (datetime.now(UTC) - timedelta(hours=12)).date()


def whole_years(start: date, end: date) -> int:
    """Whole years from `start` to `end`: an age, from a birth date to a day."""
    return end.year - start.year - int((end.month, end.day) < (start.month, start.day))


def _born(value: date) -> date:
    if not EARLIEST.date() <= value <= today_anywhere():
        raise PydanticCustomError("date_range", "must lie between 1900-01-01 and today")
    return value


BirthDate = Annotated[date, AfterValidator(_born)]
"""A birth date a caller gives: not in the future, and not before 1900."""


def _dated(value: date) -> date:
    if not EARLIEST.date() <= value <= local_day(datetime.now(UTC) + CLOCK_SKEW):
        raise PydanticCustomError("date_range", "must lie between 1900-01-01 and today at the border (UTC+07:00)")
    return value


PastDay = Annotated[
    date,
    AfterValidator(_dated),
    Field(description="A day at the border (UTC+07:00), from 1900-01-01 to today: rule date_range."),
]
"""The day something was done at the border (a certificate issued, an assessment completed): not a day still
to come there, give or take a clock running five minutes fast."""


def none(description: str, **constraints: Any) -> Any:
    """A field that says nothing about a person (an id of a record, a timestamp of an operation)."""
    return Field(description=description, json_schema_extra={"x-spean-pii": "none"}, **constraints)


def quasi(description: str, **constraints: Any) -> Any:
    """A coarse attribute of a person: harmless alone, identifying in combination, so kept coarse."""
    return Field(description=description, json_schema_extra={"x-spean-pii": "quasi"}, **constraints)


class EventData(_BaseModel):
    """The payload of one case event. Unknown fields are refused: a contract is exact."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    case_id: CaseId = quasi("Pseudonymous case id, the same in every service; the Kafka key.")
