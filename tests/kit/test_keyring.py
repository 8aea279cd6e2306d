"""The master key ring: values sealed under a key being replaced still open, are sealed again under the
new one, and a value never opens for another record or without its key."""

from __future__ import annotations

import os

import pytest

from spean_kit.keyring import KeyRing, Unopenable


def test_a_value_sealed_under_a_previous_key_opens_and_is_sealed_again_under_the_current_one() -> None:
    old, new = os.urandom(32), os.urandom(32)
    sealed = KeyRing(old).seal(b"Sok Dara", "case-1")
    rotating = KeyRing(new, [old])

    assert rotating.open(sealed, "case-1") == b"Sok Dara"
    again = rotating.resealed(sealed, "case-1")
    assert again is not None
    assert KeyRing(new).open(again, "case-1") == b"Sok Dara"
    assert rotating.resealed(again, "case-1") is None, "a value under the current key is left as it is"
    with pytest.raises(Unopenable):
        KeyRing(new).open(sealed, "case-1")


def test_a_sealed_value_opens_only_for_its_own_record() -> None:
    ring = KeyRing(os.urandom(32), [os.urandom(32)])
    sealed = ring.seal(b"Sok Dara", "case-1")
    assert b"Sok Dara" not in sealed
    with pytest.raises(Unopenable):
        ring.open(sealed, "case-2")


def test_a_master_key_of_another_length_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        KeyRing(os.urandom(32), [os.urandom(16)])
