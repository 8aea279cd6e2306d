"""An identification letter: what a trafficking victim carries to show a police officer or a court that the
competent authority identified them, so that they are not punished for what they were made to do while
trafficked. Its code is the only key to it. It is long enough that it cannot be guessed (100 bits), in
symbols that survive being read aloud and typed from paper (Crockford's base 32), and kept only as its
digest, so that the service's database cannot be used to forge a letter."""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUP = 4
SYMBOLS = 20
# Crockford's base 32 reads the letters it leaves out, which a person copying a code may write, as the
# digits they look like.
READ_AS = str.maketrans("OIL", "011")
FORM = f"{SYMBOLS} symbols of {ALPHABET} (O read as 0, I and L as 1), hyphens and spaces ignored"


def new_code() -> str:
    """A fresh code, as printed: five groups of four symbols joined by hyphens."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(SYMBOLS))
    return "-".join(symbols[start : start + GROUP] for start in range(0, SYMBOLS, GROUP))


def canonical(typed: str) -> str | None:
    """The code's symbols from what a person typed (any case, hyphens and spaces anywhere, O for 0, I or
    L for 1); None when it cannot be a code."""
    symbols = "".join(typed.split()).replace("-", "").upper().translate(READ_AS)
    if len(symbols) != SYMBOLS or not set(symbols) <= set(ALPHABET):
        return None
    return symbols


def digest(code: str) -> str:
    """What is kept of a code: the SHA-256 of its symbols. A 100-bit secret needs no salt to stay unknown."""
    symbols = canonical(code)
    if symbols is None:
        raise ValueError("not a letter code")
    return hashlib.sha256(symbols.encode()).hexdigest()
