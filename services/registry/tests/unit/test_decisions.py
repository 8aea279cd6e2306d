"""Analysts' merges and splits, applied to linkage's records in plain domain code."""

from __future__ import annotations

import random

from spean_registry.domain.decisions import Decision, Kind, Links, decided, records_to_read
from spean_registry.domain.linkage import Certainty

PROBABLE, CERTAIN = Certainty.PROBABLE, Certainty.CERTAIN


def test_a_merge_joins_whole_records_and_a_later_split_takes_one_case_out() -> None:
    links: Links = {
        "case-a": ("nr-a", CERTAIN),
        "case-b": ("nr-a", PROBABLE),
        "case-c": ("nr-c", CERTAIN),
        "case-d": ("nr-d", CERTAIN),
    }
    merged = decided(links, [Decision(Kind.MERGE, ("case-c", "case-b"))])
    assert merged == {
        "case-a": ("nr-a", CERTAIN),
        "case-b": ("nr-a", CERTAIN),
        "case-c": ("nr-a", CERTAIN),
        "case-d": ("nr-d", CERTAIN),
    }
    split = decided(links, [Decision(Kind.MERGE, ("case-c", "case-b")), Decision(Kind.SPLIT, ("case-b",))])
    assert split["case-b"] == ("nr-b", CERTAIN)
    assert {case for case, (record, _) in split.items() if record == "nr-a"} == {"case-a", "case-c"}


def test_splitting_out_the_case_a_record_is_named_after_leaves_the_others_under_their_own_first_case() -> None:
    links: Links = {"case-a": ("nr-a", CERTAIN), "case-b": ("nr-a", PROBABLE), "case-c": ("nr-a", CERTAIN)}
    after = decided(links, [Decision(Kind.SPLIT, ("case-a",))])
    assert after == {"case-a": ("nr-a", CERTAIN), "case-b": ("nr-b", PROBABLE), "case-c": ("nr-b", CERTAIN)}


def test_a_case_a_split_leaves_alone_is_linked_to_nothing_and_so_left_to_review_no_more() -> None:
    links: Links = {"case-a": ("nr-a", PROBABLE), "case-b": ("nr-a", PROBABLE)}
    assert decided(links, [Decision(Kind.SPLIT, ("case-b",))]) == {
        "case-a": ("nr-a", CERTAIN),
        "case-b": ("nr-b", CERTAIN),
    }
    assert decided(links, [Decision(Kind.SPLIT, ("case-a",))]) == {
        "case-a": ("nr-a", CERTAIN),
        "case-b": ("nr-b", CERTAIN),
    }


def test_a_decision_about_a_case_not_yet_held_waits_and_the_others_apply() -> None:
    links: Links = {"case-a": ("nr-a", CERTAIN), "case-b": ("nr-b", CERTAIN)}
    after = decided(links, [Decision(Kind.MERGE, ("case-a", "case-z")), Decision(Kind.MERGE, ("case-b", "case-a"))])
    assert after == {"case-a": ("nr-a", CERTAIN), "case-b": ("nr-a", CERTAIN)}


def test_only_the_records_within_reach_are_needed_to_apply_the_decisions() -> None:
    """The registry reads only the records `records_to_read` names; applying the decisions to those alone must
    give what applying them to every record gives, whatever the decisions."""
    shuffle = random.Random(20261203)  # noqa: S311 - a reproducible draw, not a secret
    for _ in range(3000):
        cases = [f"case-{n:02d}" for n in range(30)]
        links: Links = {
            case: (f"nr-{shuffle.choice(cases)[5:]}", shuffle.choice([CERTAIN, PROBABLE])) for case in cases
        }
        decisions = [
            Decision(Kind.MERGE, tuple(shuffle.sample(cases, 2)))
            if shuffle.random() < 0.6
            else Decision(Kind.SPLIT, (shuffle.choice(cases),))
            for _ in range(shuffle.randint(1, 6))
        ]
        named = {case for decision in decisions for case in decision.case_ids}
        within = {case: links[case] for case in named}
        read: set[str] = set()
        while wanted := records_to_read(decisions, within) - read:
            within |= {case: link for case, link in links.items() if link[0] in wanted}
            read |= wanted

        everywhere = decided(links, decisions)

        assert {case: everywhere[case] for case in within} == decided(within, decisions)
        assert all(everywhere[case] == links[case] for case in links if case not in within)
