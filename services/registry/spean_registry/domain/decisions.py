"""Analysts' decisions on national records, applied to the links linkage made: a merge of records that
are one person, a split of a case wrongly linked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from spean_registry.domain.linkage import Certainty, own_record

Links = dict[str, tuple[str, Certainty]]


class Kind(StrEnum):
    MERGE = "merge"
    SPLIT = "split"


@dataclass(frozen=True)
class Decision:
    kind: Kind
    case_ids: tuple[str, ...]


def reach(decisions: Iterable[Decision]) -> tuple[set[str], set[str]]:
    """What applying `decisions` can change: the records of the cases they name, and the records the
    splits among them give. A case in neither keeps its record whatever the decisions say."""
    decisions = list(decisions)
    named = {case for decision in decisions for case in decision.case_ids}
    split_into = {own_record(decision.case_ids[0]) for decision in decisions if decision.kind is Kind.SPLIT}
    return named, split_into


def decided(links: Mapping[str, tuple[str, Certainty]], decisions: Iterable[Decision]) -> Links:
    """The links after `decisions`, in the order they were made. A merge joins the whole records of the
    cases it names under the first record id, certain; a split takes its case out into a record of its
    own, certain. A decision naming a case `links` does not hold yet (a rebuild still replaying) waits.

    `links` must hold every case of the records `reach` names: the cases a decision moves."""
    after = dict(links)
    members: dict[str, set[str]] = {}
    for case, (record, _) in after.items():
        members.setdefault(record, set()).add(case)
    for decision in decisions:
        if not all(case in after for case in decision.case_ids):
            continue
        if decision.kind is Kind.MERGE:
            records = {after[case][0] for case in decision.case_ids}
            survivor = min(records)
            joined = members.setdefault(survivor, set())
            for record in records - {survivor}:
                joined |= members.pop(record, set())
            for case in joined:
                after[case] = (survivor, Certainty.CERTAIN)
        else:
            (case,) = decision.case_ids
            members[after[case][0]].discard(case)
            record = own_record(case)
            members.setdefault(record, set()).add(case)
            after[case] = (record, Certainty.CERTAIN)
    return after
