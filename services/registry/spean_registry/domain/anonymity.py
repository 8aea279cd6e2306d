"""k-anonymity for records released one person a row: a record is released only where at least k records
share what an outsider may already know of the person (the quasi-identifiers: when and where they were
identified, sex, age band, nationality), so that nobody who knows those can tell which row is theirs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Released(Generic[T]):
    records: list[T]
    withheld: int


def k_anonymous(records: Sequence[T], known: Callable[[T], Hashable], k: int) -> Released[T]:
    """The records whose quasi-identifiers (`known`) at least k records share, in their order; how many not."""
    sharing = Counter(known(record) for record in records)
    kept = [record for record in records if sharing[known(record)] >= k]
    return Released(records=kept, withheld=len(records) - len(kept))
