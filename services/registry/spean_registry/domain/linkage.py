"""Record linkage: the same person reported by several agencies becomes one national record.

The owning service sends keyed match keys, never names or birth dates. A shared exact key (names and
birth date) links with certainty; a shared looser key (names and birth year, or an estimated age) links
as probable, for an analyst to confirm or split.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Certainty(StrEnum):
    CERTAIN = "certain"
    PROBABLE = "probable"
    NONE = "none"


@dataclass(frozen=True)
class Candidate:
    case_id: str
    national_record_id: str
    shared_exact: int
    shared_loose: int


def certainty(candidate: Candidate) -> Certainty:
    if candidate.shared_exact:
        return Certainty.CERTAIN
    if candidate.shared_loose:
        return Certainty.PROBABLE
    return Certainty.NONE


def best(candidates: list[Candidate]) -> tuple[Candidate, Certainty] | None:
    """The candidate to link to: certain before probable, then the oldest record (smallest id) for
    determinism, so a rebuild from Kafka links exactly as the live projection did."""
    ranked = sorted(
        ((c, certainty(c)) for c in candidates if certainty(c) != Certainty.NONE),
        key=lambda pair: (pair[1] != Certainty.CERTAIN, pair[0].national_record_id),
    )
    return ranked[0] if ranked else None
