"""A sentence falls in the band of the law it is measured against, the boundaries included."""

from __future__ import annotations

import pytest

from spean_registry.domain.sentences import SentenceBand, sentence_band


@pytest.mark.parametrize(
    ("months", "band"),
    [
        (None, SentenceBand.NONE),
        (0, SentenceBand.NONE),
        (1, SentenceBand.UNDER_7_YEARS),
        (83, SentenceBand.UNDER_7_YEARS),
        (84, SentenceBand.FROM_7_TO_15_YEARS),
        (179, SentenceBand.FROM_7_TO_15_YEARS),
        (180, SentenceBand.FROM_15_TO_20_YEARS),
        (240, SentenceBand.FROM_15_TO_20_YEARS),
        (241, SentenceBand.OVER_20_YEARS),
    ],
)
def test_a_sentence_is_banded_by_the_laws_ranges(months: int | None, band: SentenceBand) -> None:
    assert sentence_band(months) == band
