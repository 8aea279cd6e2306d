"""A person's wait falls in the band of days it lasted, each band up to its upper bound included, as a
deadline of as many days is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spean_registry.domain.waits import PLACEMENT, RETURN

IDENTIFIED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("waited", "band"),
    [
        (timedelta(hours=1), "0-2"),
        (timedelta(days=2), "0-2"),
        (timedelta(days=2, seconds=1), "2-7"),
        (timedelta(days=7), "2-7"),
        (timedelta(days=7, hours=12), "7-30"),
        (timedelta(days=30), "7-30"),
        (timedelta(days=30, seconds=1), "over-30"),
        (-timedelta(minutes=5), "0-2"),
    ],
)
def test_a_wait_for_care_is_banded_by_its_days(waited: timedelta, band: str) -> None:
    assert PLACEMENT.of(IDENTIFIED, IDENTIFIED + waited) == band


@pytest.mark.parametrize(("days", "band"), [(30, "0-30"), (31, "30-60"), (60, "30-60"), (90, "60-90"), (91, "over-90")])
def test_a_wait_for_the_return_home_is_banded_by_its_days(days: int, band: str) -> None:
    assert RETURN.of(IDENTIFIED, IDENTIFIED + timedelta(days=days)) == band


def test_a_wait_is_not_banded_until_both_ends_are_known() -> None:
    assert (PLACEMENT.of(IDENTIFIED, None), PLACEMENT.of(None, IDENTIFIED)) == (None, None)
