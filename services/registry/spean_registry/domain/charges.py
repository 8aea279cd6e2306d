"""Charges, from the most serious: a court case is counted under its most serious charge, so that
trafficking is never mixed with rape or lesser offences."""

from __future__ import annotations

from collections.abc import Iterable

from spean_contracts.vocabulary import ChargeCategory

SEVERITY = (ChargeCategory.TRAFFICKING, ChargeCategory.RAPE, ChargeCategory.OTHER)


def most_serious(categories: Iterable[ChargeCategory]) -> ChargeCategory:
    charged = set(categories)
    return next(category for category in SEVERITY if category in charged)
