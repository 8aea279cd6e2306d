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


def records_to_read(decisions: Iterable[Decision], links: Mapping[str, tuple[str, Certainty]]) -> set[str]:
    """The records whose holders `decided` needs, given the links read so far (at first, those of the
    cases the decisions name): the records of the cases named, and every record named after a case
    read, which a split may give that case or leave to what it splits from. Read until nothing new is
    asked for: the cases of no such record keep their records whatever the decisions say."""
    named = {case for decision in decisions for case in decision.case_ids}
    return {links[case][0] for case in named if case in links} | {own_record(case) for case in links}


def decided(links: Mapping[str, tuple[str, Certainty]], decisions: Iterable[Decision]) -> Links:
    """The links after `decisions`, in the order they were made. A merge joins the whole records of the
    cases it names under the first record id, certain; a split takes its case out into a record of its
    own, certain, and renames what it leaves if that was named after it. A decision naming a case
    `links` does not hold yet (a rebuild still replaying) waits.

    `links` must hold every case of the records `records_to_read` names: the cases a decision moves."""
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
            left, record = after[case][0], own_record(case)
            members[left].discard(case)
            rest = members[left]
            if left == record and rest:
                # The record was named after the case split out: what stays is named after its own first case.
                left = own_record(min(rest))
                members.setdefault(left, set()).update(members.pop(record))
            for other in rest:
                # A case left alone is no longer linked by a looser key to anything: nothing is left to review.
                after[other] = (left, Certainty.CERTAIN if len(rest) == 1 else after[other][1])
            members.setdefault(record, set()).add(case)
            after[case] = (record, Certainty.CERTAIN)
    return after
