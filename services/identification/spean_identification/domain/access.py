"""Who may read a screening's personal data: the owning agency, an agency it was shared with, or the
competent authority; always for a stated purpose. Every decision, either way, is audited."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

READER_ROLES = frozenset({"screener", "determiner", "case-worker"})
MIN_PURPOSE = 5


@dataclass(frozen=True)
class Decision:
    granted: bool
    reason: str


def may_read(
    *, agency: str | None, roles: Collection[str], purpose: str | None, owner: str, shared_with: Collection[str]
) -> Decision:
    if not READER_ROLES & set(roles):
        return Decision(False, "no role that reads screenings")
    if purpose is None or len(purpose.strip()) < MIN_PURPOSE:
        return Decision(False, "a purpose of at least five characters is required")
    if "determiner" in roles:
        return Decision(True, "competent authority")
    if agency == owner:
        return Decision(True, "owning agency")
    if agency in shared_with:
        return Decision(True, "shared with this agency")
    return Decision(False, "not the owning agency and not shared with it")
