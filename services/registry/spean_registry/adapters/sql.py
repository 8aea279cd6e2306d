"""SQL the registry's statements share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY


def any_of(values: Iterable[str]) -> Any:
    """`= ANY($1)`: one array parameter however many values. `IN` takes a parameter per value, and
    PostgreSQL takes no more than 32,767: a batch of 2,000 screenings, each linked to 17 earlier reports,
    reached more, and the whole batch failed."""
    return sa.any_(sa.bindparam(None, sorted(values), type_=ARRAY(sa.String)))
