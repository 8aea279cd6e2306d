"""Suppression, linkage and the audit chain, in plain domain code."""

from __future__ import annotations

from spean_registry.domain.audit import GENESIS, entry_hash, first_broken
from spean_registry.domain.linkage import Certainty, national_records
from spean_registry.domain.suppression import suppress


def test_cells_below_k_are_suppressed_and_so_is_enough_to_stop_differencing() -> None:
    published = suppress({("KH-1",): 20, ("KH-12",): 15, ("KH-2",): 3}, k=11)
    assert published.cells == {("KH-1",): 20, ("KH-12",): None, ("KH-2",): None}
    assert published.total == 38
    hidden_mass = published.total - sum(v for v in published.cells.values() if v is not None)
    assert hidden_mass >= 11


def test_a_table_with_nothing_small_is_published_whole() -> None:
    published = suppress({("2025",): 421, ("2026",): 125}, k=11)
    assert published.cells == {("2025",): 421, ("2026",): 125}
    assert published.suppressed == 0


def test_a_small_total_is_suppressed_too() -> None:
    published = suppress({("KH-1",): 4, ("KH-2",): 3}, k=11)
    assert published.total is None
    assert set(published.cells.values()) == {None}


def test_a_group_links_the_same_whatever_the_order_reports_arrived_in() -> None:
    cases = {"case-c", "case-a", "case-b", "case-z"}
    shared = [("case-a", "case-b", 2), ("case-b", "case-a", 2), ("case-c", "case-a", 1), ("case-a", "case-c", 1)]
    expected = {
        "case-a": ("nr-a", Certainty.CERTAIN),
        "case-b": ("nr-a", Certainty.CERTAIN),
        "case-c": ("nr-a", Certainty.PROBABLE),
        "case-z": ("nr-z", Certainty.CERTAIN),
    }
    assert national_records(cases, shared) == expected
    assert national_records(cases, list(reversed(shared))) == expected


def test_people_screened_many_times_each_get_one_record_of_their_own() -> None:
    people, screenings = 300, 40
    cases = {f"case-{person:03d}-{seen:02d}" for person in range(people) for seen in range(screenings)}
    shared = [
        (f"case-{person:03d}-{seen:02d}", f"case-{person:03d}-{other:02d}", 2)
        for person in range(people)
        for seen in range(screenings)
        for other in range(screenings)
        if other != seen
    ]
    linked = national_records(cases, shared)
    assert {record for record, _ in linked.values()} == {f"nr-{person:03d}-00" for person in range(people)}
    assert linked["case-123-39"] == ("nr-123-00", Certainty.CERTAIN)


def test_the_audit_chain_names_the_first_edited_entry() -> None:
    entries = []
    previous = GENESIS
    for i in range(1, 5):
        content = {"action": "timeline-read", "target": f"case-{i}"}
        digest = entry_hash(previous, content)
        entries.append((i, content, previous, digest))
        previous = digest
    assert first_broken(entries) is None
    tampered = list(entries)
    tampered[2] = (3, {"action": "timeline-read", "target": "case-999"}, entries[2][2], entries[2][3])
    assert first_broken(tampered) == 3
    assert first_broken([entries[0], entries[2], entries[3]]) == 3
