"""A court case's prison sentence in the bands of the 2008 Law on Suppression of Human Trafficking and
Sexual Exploitation: 7 to 15 years for trafficking an adult, 15 to 20 for a child. Published statistics
have long left sentencing out; in bands, a year's convictions show how many sentences fall below the
least the law sets for trafficking (a lesser charge, or leniency) without naming any case."""

from __future__ import annotations

from enum import StrEnum

YEAR = 12


class SentenceBand(StrEnum):
    NONE = "none"
    """No prison sentence: acquitted, pending, settled, or convicted without prison."""
    UNDER_7_YEARS = "under-7-years"
    """Below the least the law sets for trafficking."""
    FROM_7_TO_15_YEARS = "7-to-15-years"
    """The range for trafficking an adult (15 years exactly falls in the next band)."""
    FROM_15_TO_20_YEARS = "15-to-20-years"
    """The range for trafficking a child, 20 years included."""
    OVER_20_YEARS = "over-20-years"


def sentence_band(months: int | None) -> SentenceBand:
    if not months:
        return SentenceBand.NONE
    if months < 7 * YEAR:
        return SentenceBand.UNDER_7_YEARS
    if months < 15 * YEAR:
        return SentenceBand.FROM_7_TO_15_YEARS
    if months <= 20 * YEAR:
        return SentenceBand.FROM_15_TO_20_YEARS
    return SentenceBand.OVER_20_YEARS
