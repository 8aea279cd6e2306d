"""The compatibility check: released schemas are frozen, and later versions never break consumers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from spean_contracts.check import check, checksum_problems, compatibility_problems
from spean_contracts.schemas import CHECKSUMS, EVENTS_DIR

FIXTURES = Path(__file__).parent / "fixtures" / "compat"


def _load(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("incompatible-field-removed", "1.0 -> 1.1: $.sentence_months: field removed"),
        ("incompatible-type-changed", "1.0 -> 1.1: $.case_id: type changed from ['string'] to ['integer']"),
        ("incompatible-enum-narrowed", "1.0 -> 1.1: $.sex: enum narrowed (no longer allows other, unknown)"),
        ("incompatible-nested-enum-narrowed", "1.0 -> 1.1: $.services[]: enum narrowed (no longer allows legal)"),
        ("incompatible-new-required-field", "1.0 -> 1.1: $.province: new required field"),
    ],
)
def test_each_incompatible_change_is_caught(fixture: str, expected: str) -> None:
    assert compatibility_problems({"1.0": _load("base-1.0"), "1.1": _load(fixture)}) == [expected]


def test_a_compatible_v2_passes() -> None:
    assert compatibility_problems({"1.0": _load("base-1.0"), "1.1": _load("compatible")}) == []


def test_every_later_version_is_checked_against_every_earlier_one() -> None:
    versions = {"1.0": _load("base-1.0"), "1.1": _load("compatible"), "1.2": _load("incompatible-enum-narrowed")}
    problems = compatibility_problems(versions)
    assert "1.0 -> 1.2: $.sex: enum narrowed (no longer allows other, unknown)" in problems
    assert "1.1 -> 1.2: $.sex: enum narrowed (no longer allows intersex, other, unknown)" in problems


def test_a_new_major_version_may_break_the_old_one() -> None:
    assert compatibility_problems({"1.0": _load("base-1.0"), "2.0": _load("incompatible-field-removed")}) == []


def test_a_released_schema_edited_in_place_is_caught(tmp_path: Path) -> None:
    events = tmp_path / "events"
    shutil.copytree(EVENTS_DIR, events)
    edited = events / "case.identified" / "1.0.json"
    edited.write_text(edited.read_text().replace('"description"', '"summary"', 1))

    problems = checksum_problems(events, events / CHECKSUMS.name)

    assert problems == ["case.identified/1.0.json: released schema changed (a release is immutable; add a new version)"]


def test_the_contracts_as_committed_pass_the_whole_check() -> None:
    assert check() == []
