"""Consent to one purpose recorded more than once: the latest record is in force, whatever order the
records arrive in (a rebuild interleaves partitions otherwise); of two recorded at the same moment, the
withdrawal."""

from __future__ import annotations

from datetime import datetime

Recorded = tuple[datetime, bool]
"""When a consent was recorded, and whether it was given."""


def precedence(recorded: Recorded) -> tuple[datetime, bool]:
    """The key the record in force is the greatest of."""
    at, given = recorded
    return at, not given
