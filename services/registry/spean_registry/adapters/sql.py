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


# Writes only what changed: a relink of a person's many reports mostly finds them where they were.
RELINK = sa.text(
    "UPDATE case_facts SET national_record_id = linked.record, certainty = linked.certainty "
    "FROM unnest(:case_ids, :records, :certainties) AS linked(case_id, record, certainty) "
    "WHERE case_facts.case_id = linked.case_id "
    "AND (case_facts.national_record_id, case_facts.certainty) IS DISTINCT FROM (linked.record, linked.certainty)"
).bindparams(
    sa.bindparam("case_ids", type_=ARRAY(sa.String)),
    sa.bindparam("records", type_=ARRAY(sa.String)),
    sa.bindparam("certainties", type_=ARRAY(sa.String)),
)
