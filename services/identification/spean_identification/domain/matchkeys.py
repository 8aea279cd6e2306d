"""Keyed match keys: the same person reported by different agencies gives the same keys, so the registry
can link the records without ever seeing a name or a birth date.

Names are normalised (case, accents, spacing, order) and combined with the birth date or, as a looser
key, the birth year. The keys are HMAC-SHA-256 under a secret that only identification services hold:
without it, no one can test a guessed name against a key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from datetime import date

from spean_identification.domain.person import Person


def generation(secret: bytes) -> str:
    """Which secret a screening's keys were made under, without revealing it."""
    return hmac.new(secret, b"spean match-key generation", hashlib.sha256).hexdigest()[:16]


def normalise_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) and (c.isalnum() or c.isspace()))
    return " ".join(kept.split())


def _key(secret: bytes, *parts: str) -> str:
    digest = hmac.new(secret, "|".join(parts).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def match_keys(person: Person, secret: bytes, *, screened_on: date) -> list[str]:
    tokens = sorted(token for name in person.names for token in normalise_name(name).split())
    full = " ".join(tokens)
    if person.birth_date is not None:
        year = str(person.birth_date.year)
        keys = [
            _key(secret, "name+birth-date", full, person.birth_date.isoformat()),
            _key(secret, "name+year", full, year),
        ]
    else:
        year = str(screened_on.year - person.age_on(screened_on, met_on=screened_on))
        keys = [_key(secret, "name+year", full, year)]
    return keys
