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


def link_group(group: set[str], shared: list[tuple[str, str, int]]) -> dict[str, tuple[str, Certainty]]:
    """The national record and link certainty of each case of a group connected by shared keys.

    `shared` lists (case, other case, number of keys they share). The result depends only on the
    group, never on the order reports arrived in.
    """
    strongest: dict[str, int] = {}
    for case_id, _, count in shared:
        strongest[case_id] = max(strongest.get(case_id, 0), count)
    record = own_record(min(group))
    return {
        case_id: (
            record,
            Certainty.CERTAIN if len(group) == 1 or strongest.get(case_id, 0) >= 2 else Certainty.PROBABLE,
        )
        for case_id in group
    }
