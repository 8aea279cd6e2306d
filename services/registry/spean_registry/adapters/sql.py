"""SQL the registry's statements share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY


def among(column: Any, values: Iterable[str]) -> Any:
    """`column IN (SELECT unnest($1))`: one array parameter however many values, which PostgreSQL joins by
    hashing. `IN (...)` takes a parameter per value, and PostgreSQL takes no more than 32,767: a batch of
    2,000 screenings, each linked to 16 earlier reports, reached more, and the whole batch failed. And
    `= ANY($1)` compares each row with every value once the plan is generic: minutes for such a batch."""
    return column.in_(sa.select(sa.func.unnest(sa.bindparam(None, sorted(set(values)), type_=ARRAY(sa.String)))))
