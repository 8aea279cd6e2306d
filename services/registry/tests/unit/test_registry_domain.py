"""Suppression and linkage, in plain domain code."""

from __future__ import annotations

from spean_registry.domain.linkage import Certainty, national_records
from spean_registry.domain.suppression import suppress


def test_cells_below_k_are_suppressed_and_so_is_enough_to_stop_differencing() -> None:
    published = suppress({("KH-1",): 20, ("KH-12",): 15, ("KH-2",): 3}, k=11)
    assert published.cells == {("KH-1",): 20, ("KH-12",): None, ("KH-2",): None}
    assert published.total == 38
    hidden_mass = published.total - sum(v for v in published.cells.values() if v is not None)
    assert hidden_mass >= 11


def test_a_small_cell_of_a_two_way_table_is_not_its_rows_total_less_its_shown_cells() -> None:
    """The rows' totals are published too, by the one-way table: each row and column that hides a cell hides
    at least two, together k or more."""
    counts: dict[tuple[str, ...], int] = {
        ("KH-2", "female"): 12,
        ("KH-2", "male"): 3,
        ("KH-9", "female"): 40,
        ("KH-9", "male"): 11,
        ("KH-12", "female"): 25,
        ("KH-12", "male"): 30,
    }
    published = suppress(counts, k=11)
    rows = suppress(
        {(province,): sum(n for (p, _), n in counts.items() if p == province) for province, _ in counts}, k=11
    )
    columns = suppress({(sex,): sum(n for (_, s), n in counts.items() if s == sex) for _, sex in counts}, k=11)

    for axis, margins in ((0, rows), (1, columns)):
        for (value,), margin in margins.cells.items():
            line = {cell: count for cell, count in published.cells.items() if cell[axis] == value}
            unknown = [cell for cell, count in line.items() if count is None]
            if margin is not None and unknown:
                assert len(unknown) >= 2, f"{unknown} is {value}'s total less its shown cells"
                assert sum(counts[cell] for cell in unknown) >= 11
    assert published.cells[("KH-2", "male")] is None
    assert published.cells[("KH-12", "male")] == 30, "only as much is hidden as protecting the small cell needs"


def test_a_table_with_nothing_small_is_published_whole() -> None:
    published = suppress({("2025",): 421, ("2026",): 125}, k=11)
    assert published.cells == {("2025",): 421, ("2026",): 125}
    assert published.suppressed == 0


def test_a_small_total_is_suppressed_too() -> None:
    published = suppress({("KH-1",): 4, ("KH-2",): 3}, k=11)
    assert published.total is None
    assert set(published.cells.values()) == {None}


def test_a_group_links_the_same_whatever_the_order_reports_arrived_in() -> None:
    holders = {"exact-ab": ["case-a", "case-b"], "year-ab": ["case-b", "case-a"], "age-ac": ["case-c", "case-a"]}
    holders["exact-z"] = ["case-z"]
    expected = {
        "case-a": ("nr-a", Certainty.CERTAIN),
        "case-b": ("nr-a", Certainty.CERTAIN),
        "case-c": ("nr-a", Certainty.PROBABLE),
        "case-z": ("nr-z", Certainty.CERTAIN),
    }
    assert national_records(holders) == expected
    assert national_records({key: list(reversed(cases)) for key, cases in reversed(holders.items())}) == expected


def test_two_keys_shared_with_two_different_reports_are_two_probable_links() -> None:
    """Certainty needs the same two keys in another report, not two keys shared with anyone."""
    linked = national_records({"exact-ab": ["case-a", "case-b"], "year-ac": ["case-a", "case-c"]})
    assert linked == {case: ("nr-a", Certainty.PROBABLE) for case in ("case-a", "case-b", "case-c")}


def test_people_screened_many_times_each_get_one_record_of_their_own() -> None:
    people, screenings = 300, 40
    holders = {
        f"{kind}-{person:03d}": [f"case-{person:03d}-{seen:02d}" for seen in range(screenings)]
        for person in range(people)
        for kind in ("exact", "year")
    }
    linked = national_records(holders)
    assert len(linked) == people * screenings
    assert {record for record, _ in linked.values()} == {f"nr-{person:03d}-00" for person in range(people)}
    assert linked["case-123-39"] == ("nr-123-00", Certainty.CERTAIN)
