"""A letter's code survives being copied by hand, and nothing else passes for it."""

from __future__ import annotations

import pytest

from spean_identification.domain.letters import canonical, digest, new_code


def test_a_code_copied_by_hand_is_the_code_issued() -> None:
    issued = "0K1M-ZZ9A-10QB-7T1C-XY23"

    copied = ["0k1m zz9a 10qb 7t1c xy23", "OK1M-ZZ9A-LOQB-7TIC-XY23", " 0K1MZZ9A 10QB7T1C XY23 "]

    assert {canonical(typed) for typed in copied} == {"0K1MZZ9A10QB7T1CXY23"}
    assert {digest(typed) for typed in copied} == {digest(issued)}


@pytest.mark.parametrize(
    "typed",
    ["0K1M-ZZ9A-L0QB-7T1C", "0K1M-ZZ9A-L0QB-7T1C-XY234", "0K1M-ZZ9A-L0QB-7T1C-XYU3", "0K1M-ZZ9A-L0QB-7T1C-XY2!", ""],
)
def test_what_cannot_be_a_code_is_refused(typed: str) -> None:
    assert canonical(typed) is None
    with pytest.raises(ValueError, match="not a letter code"):
        digest(typed)


def test_fresh_codes_are_printable_and_never_repeat() -> None:
    codes = [new_code() for _ in range(1000)]

    assert all(canonical(code) == code.replace("-", "") for code in codes)
    assert len({digest(code) for code in codes}) == len(codes)
