"""Record linkage: the same person reported by several agencies becomes one national record.

The owning service sends keyed match keys, never names or birth dates. A shared exact key (names and
birth date) links with certainty; a shared looser key (names and birth year, or an estimated age) links
as probable, for an analyst to confirm or split.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from enum import StrEnum
from itertools import combinations

# Two keys shared with one other report (names with birth date, and with birth year) make a link certain.
CERTAIN_KEYS = 2


def own_record(case_id: str) -> str:
    """A national record is named after the first (smallest) case id it holds: the same in any replay."""
    return f"nr-{case_id.removeprefix('case-')}"


class Certainty(StrEnum):
    CERTAIN = "certain"
    PROBABLE = "probable"


def connected_groups(holders: Mapping[str, Collection[str]]) -> list[set[str]]:
    """The cases holding the keys, split into groups connected by keys they share."""
    parent = {case: case for cases in holders.values() for case in cases}

    def root(case: str) -> str:
        while parent[case] != case:
            parent[case] = parent[parent[case]]
            case = parent[case]
        return case

    for cases in holders.values():
        first, *others = cases
        for case in others:
            parent[root(case)] = root(first)
    groups: dict[str, set[str]] = {}
    for case in parent:
        groups.setdefault(root(case), set()).add(case)
    return list(groups.values())


def national_records(holders: Mapping[str, Collection[str]]) -> dict[str, tuple[str, Certainty]]:
    """The national record and link certainty of every case holding the keys of `holders` (each key
    with the cases holding it), the cases grouped by the keys they share.

    A case's link is certain if it stands alone, or if another case holds the same two of its keys.
    The result depends only on the cases and their keys, never on the order reports arrived in. The
    work grows with the reports, not with the pairs of them: a person screened n times makes n²
    pairs, and going through those pairs blocked the registry's event loop for seconds per batch once
    people had been screened dozens of times.
    """
    keys_of: dict[str, list[str]] = {}
    for key, cases in holders.items():
        for case in cases:
            keys_of.setdefault(case, []).append(key)
    held_together = Counter(
        combination for keys in keys_of.values() for combination in combinations(sorted(keys), CERTAIN_KEYS)
    )
    links: dict[str, tuple[str, Certainty]] = {}
    for group in connected_groups(holders):
        record = own_record(min(group))
        for case in group:
            certain = len(group) == 1 or any(
                held_together[combination] > 1 for combination in combinations(sorted(keys_of[case]), CERTAIN_KEYS)
            )
            links[case] = (record, Certainty.CERTAIN if certain else Certainty.PROBABLE)
    return links
