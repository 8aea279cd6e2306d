"""Record linkage: the same person reported by several agencies becomes one national record.

The owning service sends keyed match keys, never names or birth dates. A shared exact key (names and
birth date) links with certainty; a shared looser key (names and birth year, or an estimated age) links
as probable, for an analyst to confirm or split.
"""

from __future__ import annotations

from enum import StrEnum


def own_record(case_id: str) -> str:
    """A national record is named after the first (smallest) case id it holds: the same in any replay."""
    return f"nr-{case_id.removeprefix('case-')}"


class Certainty(StrEnum):
    CERTAIN = "certain"
    PROBABLE = "probable"


def connected_groups(cases: set[str], shared: list[tuple[str, str, int]]) -> list[set[str]]:
    """The cases split into groups connected by shared keys (a case sharing nothing is its own group)."""
    parent = {case: case for case in cases}

    def root(case: str) -> str:
        while parent[case] != case:
            parent[case] = parent[parent[case]]
            case = parent[case]
        return case

    for a, b, _ in shared:
        if a in parent and b in parent:
            parent[root(a)] = root(b)
    groups: dict[str, set[str]] = {}
    for case in cases:
        groups.setdefault(root(case), set()).add(case)
    return list(groups.values())


def national_records(cases: set[str], shared: list[tuple[str, str, int]]) -> dict[str, tuple[str, Certainty]]:
    """The national record and link certainty of each of `cases`, grouped by the keys they share.

    `shared` lists (case, other case, number of keys they share). The result depends only on the
    cases and their keys, never on the order reports arrived in. `shared` is read once for all the
    groups: a person screened n times makes n² pairs, and reading them again for every group of a
    batch blocked the registry's event loop for minutes once demo people had been screened dozens
    of times, long enough for Kafka to take its partitions away and hand the same batch back.
    """
    strongest: dict[str, int] = {}
    for case_id, _, count in shared:
        strongest[case_id] = max(strongest.get(case_id, 0), count)
    links: dict[str, tuple[str, Certainty]] = {}
    for group in connected_groups(cases, shared):
        record = own_record(min(group))
        for case_id in group:
            certain = len(group) == 1 or strongest.get(case_id, 0) >= 2
            links[case_id] = (record, Certainty.CERTAIN if certain else Certainty.PROBABLE)
    return links
