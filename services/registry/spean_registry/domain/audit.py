"""A tamper-evident audit chain: each entry's hash covers its content and the previous entry's hash,
so editing, inserting or deleting an entry breaks every hash after it, and the first broken link says
where."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

GENESIS = "0" * 64


def entry_hash(previous: str, content: Mapping[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous}|{canonical}".encode()).hexdigest()


def first_broken(entries: Iterable[tuple[int, Mapping[str, Any], str, str]]) -> int | None:
    """`entries` are (id, content, previous_hash, hash) in order; returns the first id that fails."""
    expected_previous = GENESIS
    for entry_id, content, previous, digest in entries:
        if previous != expected_previous or entry_hash(previous, content) != digest:
            return entry_id
        expected_previous = digest
    return None
